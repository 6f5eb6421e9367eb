#include "plugins/parsers/regex/regex_options.h"

#include <optional>
#include <string_view>

#include "plugins/parsers/regex/regex_formats.h"

namespace logagent::plugins::regex {

const Schema<RegexOptions>& RegexOptions::schema() {
  static const Schema<RegexOptions> s =
      parser_schema<RegexOptions>({"lines the pattern does not match", "the named groups"})
          .field("pattern", &RegexOptions::pattern,
                 "An RE2 regular expression (linear time on any input); each named group "
                 "(?P<name>...) that matched becomes a string field. Matches anywhere in the "
                 "text unless anchored with ^ and $. Exactly one of pattern and format.")
          .field("format", &RegexOptions::format,
                 "A built-in pattern: nginx, apache or combined (combined access log), "
                 "syslog_rfc3164, syslog_rfc5424. Exactly one of pattern and format.")
          .rule([](const RegexOptions& o) -> std::optional<std::string> {
            auto re = compile_pattern(o);
            if (!re) return re.message();
            return std::nullopt;
          });
  return s;
}

Result<std::unique_ptr<RE2>> compile_pattern(const RegexOptions& o) {
  if (o.pattern.empty() == o.format.empty()) {
    return Status::error("set exactly one of pattern and format");
  }
  RE2::Options options;
  options.set_log_errors(false);
  std::string_view text = o.pattern;
  if (!o.format.empty()) {
    text = find_regex_format(o.format);
    if (text.empty()) {
      std::string names;
      for (const RegexFormat& f : regex_formats()) {
        names += (names.empty() ? "" : ", ") + std::string(f.name);
      }
      return Status::error("format '" + o.format + "' is not one of: " + names);
    }
    options.set_encoding(RE2::Options::EncodingLatin1);  // ASCII patterns; any byte matches
  }
  auto re = std::make_unique<RE2>(re2::StringPiece(text.data(), text.size()), options);
  if (!re->ok()) {
    std::string message = "pattern: " + re->error();
    const size_t at = o.pattern.find(re->error_arg());
    if (!re->error_arg().empty() && at != std::string::npos) {
      message += " (at offset " + std::to_string(at) + ")";
    }
    return Status::error(std::move(message));
  }
  if (re->NamedCapturingGroups().empty()) {
    return Status::error("pattern '" + o.pattern +
                         "' has no named group (?P<name>...): it would add no field");
  }
  return re;
}

}  // namespace logagent::plugins::regex
