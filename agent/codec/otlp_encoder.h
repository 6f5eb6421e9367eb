// OTLP log payloads: events as an OpenTelemetry ExportLogsServiceRequest
// (opentelemetry/proto/collector/logs/v1/logs_service.proto), in the protobuf wire format
// (otlp_proto) or in OTLP's JSON mapping (otlp_json), so the OpenTelemetry Collector's Kafka
// receiver and any OTLP consumer read them as they are.
//
// One request holds one ResourceLogs (resource attribute host.name) with one ScopeLogs (scope
// name "logagent") holding one LogRecord per live event of the range:
//   body                     the line, a string
//   time_unix_nano           the time a timestamp stage set (absent when none did)
//   observed_time_unix_nano  when the line was read
//   severity_text/number     from a string field "level" or "severity" when there is one
//                            (trace 1, debug 5, info/notice 9, warn 13, error 17, fatal/critical/
//                            alert/emerg/panic 21; other text keeps severity_number 0)
//   attributes               log.file.path, then the source's fields (SourceInfo::fields) the
//                            event has no parsed field of that name for, then every parsed field
//                            in order: strings as
//                            string_value, numbers as int_value when they are integers that fit,
//                            else double_value, booleans as bool_value, null as an empty value,
//                            nested JSON as its text; logagent.truncated=true on a cut line.
// Strings must be UTF-8 in protobuf: invalid sequences become U+FFFD, one per invalid byte (the
// rule of the json encoding, json_string.h).
//
// Threads: pure functions; they keep thread-local scratch buffers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "agent/api/batch.h"

namespace logagent {

// Appends one request with the live events of batch.events[begin, end).
void encode_otlp_proto(std::string& out, const Batch& batch, size_t begin, size_t end,
                       std::string_view host);
void encode_otlp_json(std::string& out, const Batch& batch, size_t begin, size_t end,
                      std::string_view host);

// The OTLP SeverityNumber for a level's text (case-insensitive), 0 when it names none.
int otlp_severity_number(std::string_view text);

}  // namespace logagent
