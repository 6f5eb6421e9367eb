// The pieces the format scanners (format_scanners.h) are made of: RE2's character classes as the
// built-in patterns use them, and the runs that recur in them. Positions are indexes into the
// line; npos means "no match from here". Every read is bounds-checked against the line's size.
#pragma once

#include <cstddef>
#include <string_view>

namespace logagent::plugins::regex::scan {

inline constexpr size_t npos = std::string_view::npos;

// RE2's \s: ASCII only, and without \v (so \S matches \v and every byte >= 0x80).
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}
// RE2's \d: ASCII digits only.
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// True when `s` has `c` at `i`.
constexpr bool at(std::string_view s, size_t i, char c) { return i < s.size() && s[i] == c; }

// The end of the run of \S that starts at `i` (`i` itself when there is none).
constexpr size_t non_space_end(std::string_view s, size_t i) {
  while (i < s.size() && !is_space(s[i])) ++i;
  return i;
}

// The end of the run of \d that starts at `i`, reading at most `max` bytes.
constexpr size_t digits_end(std::string_view s, size_t i, size_t max) {
  const size_t limit = i + max < s.size() ? i + max : s.size();
  while (i < limit && is_digit(s[i])) ++i;
  return i;
}

// `(?P<g>\S+) ` at `i`: sets `group` and returns the position after the space. A greedy \S+
// cannot give back a byte to let ' ' match (the byte it gives back is not a space), so the
// longest run is the only candidate.
constexpr size_t word_then_space(std::string_view s, size_t i, std::string_view& group) {
  const size_t end = non_space_end(s, i);
  if (end == i || !at(s, end, ' ')) return npos;
  group = s.substr(i, end - i);
  return end + 1;
}

// `(?:[^T\\]|\\.)*T` at `i` (T = `term`, `.` = any byte but '\n'): the position of the first T
// that no backslash escapes, or npos when the text ends first or a backslash is followed by '\n'
// or by nothing (the run cannot go past it, and a backslash is not T). Only the first unescaped T
// is at a boundary between the run's items, so it is the only place the run can stop.
constexpr size_t escaped_until(std::string_view s, size_t i, char term) {
  while (i < s.size()) {
    const char c = s[i];
    if (c == term) return i;
    if (c == '\\') {
      if (i + 1 >= s.size() || s[i + 1] == '\n') return npos;
      i += 2;
    } else {
      ++i;
    }
  }
  return npos;
}

}  // namespace logagent::plugins::regex::scan
