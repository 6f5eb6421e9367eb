#include "plugins/parsers/regex/regex_formats.h"

namespace logagent::plugins::regex {
namespace {

// Quoted fields are (?:[^"\\]|\\.)*: any byte but '"', or a backslash escape (nginx writes
// a '"' inside a field as \x22, apache as \").
constexpr std::string_view kCombined =
    R"re(^(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]*)\] )re"
    R"re("(?:(?P<method>[A-Z]+) (?P<path>[^ "]*)(?: (?P<protocol>[^ "]*))?|)re"
    R"re((?P<request>(?:[^"\\]|\\.)*))" (?P<status>\d{3}) (?P<bytes>\d+|-))re"
    R"re((?: "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<user_agent>(?:[^"\\]|\\.)*)")?)re";

constexpr std::string_view kSyslog3164 =
    R"re(^(?:<(?P<pri>\d{1,3})>)?(?P<time>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) )re"
    R"re((?:(?P<ident>[^\s\[\]:]+)(?:\[(?P<pid>[^\]\s]*)\])?: ?)?(?P<msg>.*)$)re";

constexpr std::string_view kSyslog5424 =
    R"re(^<(?P<pri>\d{1,3})>(?P<version>\d{1,2}) (?P<time>\S+) (?P<host>\S+) (?P<app_name>\S+) )re"
    R"re((?P<procid>\S+) (?P<msgid>\S+) (?P<structured_data>-|(?:\[(?:[^\]\\]|\\.)*\])+))re"
    R"re((?: (?P<msg>.*))?$)re";

}  // namespace

const std::vector<RegexFormat>& regex_formats() {
  static const std::vector<RegexFormat> formats = {
      {"nginx", kCombined},
      {"apache", kCombined},
      {"combined", kCombined},
      {"syslog_rfc3164", kSyslog3164},
      {"syslog_rfc5424", kSyslog5424},
  };
  return formats;
}

std::string_view find_regex_format(std::string_view name) {
  for (const RegexFormat& f : regex_formats()) {
    if (f.name == name) return f.pattern;
  }
  return {};
}

}  // namespace logagent::plugins::regex
