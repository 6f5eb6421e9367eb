// Event encodings shared by sinks: raw (the line, then "\n") and json (one object a line).
//
// json: {"time":"<RFC3339 read time>","file":"<path>","offset":N,"message":"...","truncated":true}
// ("truncated" only when the line was cut). Any bytes give valid JSON: invalid UTF-8 sequences
// become U+FFFD, control bytes are escaped (\u0000, \n, \t, ...).
// Parsed fields (fields.h) follow as top-level keys, in the order the stages added them: strings
// escaped as above, numbers, booleans, null and nested JSON (kRaw) copied verbatim. A field whose
// key is a metadata key (time, file, offset, message, truncated) is written as "_<key>". Duplicate
// keys are all written, in order (most JSON readers keep the last one).
//
// Threads: pure functions; callers keep their own output buffers (no allocation per event once
// the buffer has grown).
#pragma once

#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/encoding.h"

namespace logagent {

// Appends `bytes` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view bytes);
// Appends the batch's live events in `format`, each followed by "\n".
void encode_batch(std::string& out, const Batch& batch, EventFormat format);
// "2026-11-27T01:02:03.123456Z"
std::string format_rfc3339_us(int64_t unix_ns);

}  // namespace logagent
