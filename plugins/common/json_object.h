// The JSON object reader of the "json" parser (and of "docker", whose records are JSON): a JSON
// object becomes fields.
//
// Top-level members become fields in document order: strings unescaped, numbers, booleans and
// null as their literal text, nested objects and arrays as minified JSON text (kRaw). The whole
// text is validated (structure, UTF-8, escapes, number and literal syntax), so every field the
// json output writes verbatim is valid JSON. Anything else -- not an object, invalid JSON, invalid
// UTF-8, trailing characters, nesting deeper than kMaxDepth -- is a parse error ("_error" names
// the reason, prefixed "json: ").
//
// Built on simdjson On-Demand with one reused parser per instance. Each text is copied into
// a reused buffer with SIMDJSON_PADDING bytes after it: events view pooled chunks whose bytes
// after a batch's last line may be written by the input thread at that very moment, so the
// parser never reads past the text itself. Fields that need no unescaping view the original text
// (not the copy); the others are copied into the batch's arena.
//
// Threads: a parser (and the stage made of it) serves one lane.
#pragma once

#include <memory>

#include "plugins/common/parser_stage.h"

namespace logagent::plugins::json {

// Containers nested inside the top-level object, at most.
constexpr int kMaxDepth = 128;

std::unique_ptr<FieldParser> make_json_parser();

}  // namespace logagent::plugins::json
