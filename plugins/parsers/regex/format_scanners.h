// Format scanners: hand-written matchers for the built-in patterns of regex_formats.cc (`format:`
// of the "regex" parser), several times faster than RE2 on the same lines.
//
// A scanner gives exactly what RE2 gives for its pattern, matched as the stage matches it (Latin-1,
// RE2::PartialMatchN, see regex_parser.cc): the same lines match, and each capturing group is a
// view of the same bytes of the line, or absent (a default-constructed view, data() == nullptr)
// when RE2 leaves it unset (an optional group that did not take part). A group that matched the
// empty string is an empty view into the line. tests/fuzz/fuzz_regex_formats.cc checks this
// against RE2 on arbitrary bytes.
//
// Scanners read the line only within its size and allocate nothing. Threads: any; no state.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace logagent::plugins::regex {

struct FormatScanner {
  // The capturing groups of the pattern in order: groups[i] is the name of group i + 1.
  std::span<const std::string_view> groups;
  // Matches `line`; on a match writes one view per group into slots[0 .. groups.size()) (views of
  // `line`, or {} for a group that did not take part). On no match the slots are unspecified.
  bool (*scan)(std::string_view line, std::string_view* slots);
};

// The scanner of built-in format `format` (a name regex_formats() lists), or nullptr.
const FormatScanner* find_format_scanner(std::string_view format);

// The scanners, for tests and benchmarks (find_format_scanner hands them out by format name).
const FormatScanner& combined_scanner();
const FormatScanner& syslog_rfc3164_scanner();
const FormatScanner& syslog_rfc5424_scanner();

}  // namespace logagent::plugins::regex
