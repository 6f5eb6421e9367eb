// Event encodings shared by sinks: raw (the line, then "\n") and json (one object a line).
//
// json: {"time":"<RFC3339 time>","file":"<path>","offset":N,"message":"...","truncated":true}
// ("truncated" only when the line was cut). The time is the event's (event_time_ns(): the one a
// timestamp stage set, else the batch's read time), in UTC with microseconds (truncated). Any
// bytes give valid JSON: invalid UTF-8 sequences become U+FFFD (one per invalid byte), control
// bytes are escaped (\n, \r, \t, the rest \u00XX; '"' and '\' as \" and \\).
// The source's fields (SourceInfo::fields, batch.h) follow "message"/"truncated" as top-level
// keys, with the same escaping and "_" rule, except those an event field is written under (the
// event's own field wins). Parsed fields (fields.h) follow as top-level keys, in the order the
// stages added them: strings escaped as above, numbers, booleans, null and nested JSON (kRaw)
// copied verbatim. A field whose key is a metadata key (time, file, offset, message, truncated) is
// written as "_<key>", so the line's own "message" (and the other metadata) is never replaced by a
// field. Each key is written once per object: when several fields are written under one key (a
// repeated input key, two stages setting it, "message" and "_message"), the last one wins, at its
// own position. Nested values (kRaw) are copied as they are.
//
// How it is fast (perf/bench_encoder.cc): strings are escaped a block at a time (json_string.cc);
// output goes through a 32 KiB stack buffer with one room check per piece (json_output.h: no
// zero-filling, no fmt), appended to the caller's string, which is reserved once per batch from
// an estimate; repeated keys are found without allocating (json_keys.h). The date and time text
// is rebuilt only when the second changes.
//
// Threads: pure functions; callers keep their own output buffers (no allocation per event once
// the buffer has grown). Uses about 33 KiB of stack.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/encoding.h"
#include "agent/codec/json_string.h"  // append_json_string, same_json_text

namespace logagent {

// Appends the batch's live events in `format`, each followed by "\n".
void encode_batch(std::string& out, const Batch& batch, EventFormat format);
// Appends events `events` (indexes into batch.events, dropped or not) of `batch` in the json
// format, each followed by "\n" (a sample of a batch: `logagent tap`).
void encode_events_json(std::string& out, const Batch& batch, std::span<const size_t> events);
// "2026-11-27T01:02:03.123456Z"
std::string format_rfc3339_us(int64_t unix_ns);

}  // namespace logagent
