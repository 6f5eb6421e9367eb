// JSON string literals: any bytes in, valid JSON out. Invalid UTF-8 sequences become U+FFFD (one
// per invalid byte), control bytes are escaped (\n, \r, \t, the rest \u00XX; '"' and '\' as \"
// and \\). The json event encoding (event_encoder.h) writes every string this way.
//
// Threads: pure functions. append_json_string uses about 33 KiB of stack (json_output.h).
#pragma once

#include <string>
#include <string_view>

namespace logagent {

// Appends `bytes` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view bytes);
// `a` and `b` are written as the same JSON string: equal, or equal once each invalid UTF-8 byte is
// U+FFFD.
bool same_json_text(std::string_view a, std::string_view b);
// `bytes` is valid UTF-8 (by the rule above: no overlong forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view bytes);
// Appends `bytes` with each invalid UTF-8 byte replaced by U+FFFD (the text a JSON string of
// them decodes to).
void append_valid_utf8(std::string& out, std::string_view bytes);

}  // namespace logagent
