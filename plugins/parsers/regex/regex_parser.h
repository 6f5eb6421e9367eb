// The "regex" parser stage: the named groups of an RE2 pattern become string fields.
//
// The pattern comes from `pattern` (RE2 syntax) or `format` (built-ins, see regex_formats.h);
// it is compiled once per stage instance and matched with RE2::PartialMatchN, linear in the
// text whatever the pattern and the input (RE2 has no backtracking). Each named group that
// took part in the match becomes a string field viewing the text; groups that did not take part
// (an optional group) are left out, groups that matched the empty string give "". A text the
// pattern does not match is a parse error ("regex: no match").
//
// A built-in `format` is matched by its format scanner (format_scanners.h) instead: the same
// fields, several times faster.
//
// Nothing is allocated per event: the match writes re2::StringPiece views into arrays sized
// once. Field keys are the group names, interned for the life of the process (static storage,
// so they outlive every batch and every stage).
//
// Threads: a parser (and the stage made of it) serves one lane.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string_view>
#include <vector>

#include "agent/api/plugin.h"
#include "plugins/common/parser_stage.h"
#include "plugins/parsers/regex/format_scanners.h"
#include "plugins/parsers/regex/regex_options.h"

namespace logagent::plugins::regex {

class RegexParser final : public FieldParser {
 public:
  // `re` must be ok() and have at least one capturing group.
  explicit RegexParser(std::unique_ptr<RE2> re);
  // A built-in format, matched by `scanner` (which lives as long as the process).
  explicit RegexParser(const FormatScanner& scanner);
  const char* parse(std::string_view text, FieldWriter& out) override;

 private:
  const char* parse_scanned(std::string_view text, FieldWriter& out);

  std::unique_ptr<RE2> re_;                 // null with a scanner
  const FormatScanner* scanner_ = nullptr;  // null with RE2
  std::vector<std::string_view> keys_;      // per capturing group; empty for unnamed ones
  std::vector<std::string_view> slots_;     // the scanner's groups
  std::vector<re2::StringPiece> pieces_;
  std::vector<RE2::Arg> args_;
  std::vector<const RE2::Arg*> arg_ptrs_;
};

struct RegexStage {
  static constexpr std::string_view kName = "regex";
  using Options = RegexOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::regex

namespace logagent {
template <>
struct PluginMetrics<plugins::regex::RegexStage> {
  static std::vector<MetricDef> defs() { return {kParserEvents}; }
};
}  // namespace logagent
