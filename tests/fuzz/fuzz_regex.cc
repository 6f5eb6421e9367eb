// Fuzz target: the "regex" parser stage (plugins/parsers/regex) on lines of arbitrary bytes, with
// each built-in format (nginx/apache combined, syslog RFC 3164 and RFC 5424) and a custom
// pattern of the kind users write.
//
// Besides the common parser invariants (parser_harness.h): every field value is a view of its
// own line (regex fields are never copied), every key is a group name of the pattern, and a line
// that matches has at least one field.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "parser_harness.h"
#include "plugins/parsers/regex/regex_parser.h"

namespace {

using namespace logagent;
namespace regex = logagent::plugins::regex;

// A Java-style application line: "2024-05-01 12:00:00,123 ERROR [main] com.example.App: msg".
constexpr const char* kCustom =
    R"re(^(?P<date>\d{4}-\d\d-\d\d)[ T](?P<clock>[\d:.,]+)\s+(?P<level>[A-Z]+)\s+)re"
    R"re((?:\[(?P<thread>[^\]]*)\]\s+)?(?:(?P<logger>[\w.$]+):\s)?(?P<msg>.*)$)re";

regex::RegexOptions options(const char* format, const char* pattern, OnError on_error) {
  regex::RegexOptions o;
  o.format = format;
  o.pattern = pattern;
  o.on_error = on_error;
  return o;
}

// The stages of one pattern, made once (compiling a pattern costs more than matching a line).
struct Pattern {
  Pattern(const char* format, const char* pattern)
      : keep(fuzz::make_stage<regex::RegexStage>(options(format, pattern, OnError::kKeep))),
        drop(fuzz::make_stage<regex::RegexStage>(options(format, pattern, OnError::kDrop))) {
    auto re = regex::compile_pattern(options(format, pattern, OnError::kKeep));
    FUZZ_CHECK(re.is_ok(), "pattern");
    for (const auto& [name, index] : re.value()->NamedCapturingGroups()) names.insert(name);
  }
  std::unique_ptr<Stage> keep;
  std::unique_ptr<Stage> drop;
  std::set<std::string, std::less<>> names;
};

void run(const uint8_t* data, size_t size, const Pattern& p) {
  fuzz::run_parser_stages(data, size, *p.keep, *p.drop);
  fuzz::InputBatch in(data, size);
  p.keep->process(in.batch);
  for (size_t i = 0; i < in.batch.events.size(); ++i) {
    if (in.batch.events[i].flags & kEventParseError) continue;
    const std::string at = "line " + std::to_string(i) + ": " + std::string(in.lines[i]);
    const auto fields = fields_of(in.batch, i);
    FUZZ_CHECK(!fields.empty(), "a match without a field: " + at);
    for (const Field& f : fields) {
      FUZZ_CHECK(p.names.count(f.key) == 1, "unknown group " + std::string(f.key));
      FUZZ_CHECK(f.value.empty() || in.in_input(f.value), "value not a view of the line: " + at);
      fuzz::check_inside_line(in, i, f.value, "value");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Pattern nginx("nginx", "");
  static const Pattern rfc3164("syslog_rfc3164", "");
  static const Pattern rfc5424("syslog_rfc5424", "");
  static const Pattern custom("", kCustom);
  for (const Pattern* p : {&nginx, &rfc3164, &rfc5424, &custom}) run(data, size, *p);
  return 0;
}
