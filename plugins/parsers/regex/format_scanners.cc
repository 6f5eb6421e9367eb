#include "plugins/parsers/regex/format_scanners.h"

namespace logagent::plugins::regex {

const FormatScanner* find_format_scanner(std::string_view format) {
  if (format == "nginx" || format == "apache" || format == "combined") return &combined_scanner();
  if (format == "syslog_rfc3164") return &syslog_rfc3164_scanner();
  if (format == "syslog_rfc5424") return &syslog_rfc5424_scanner();
  return nullptr;
}

}  // namespace logagent::plugins::regex
