// Built-in patterns of the "regex" parser (`format:`), as RE2 syntax with named groups.
//
// - `nginx`, `apache` (and their alias `combined`): the combined access log format
//     nginx  $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
//            "$http_referer" "$http_user_agent"
//     apache %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
//   Fields: client, ident, user, time, method, path, protocol, status, bytes, referer,
//   user_agent. A request line that is not `METHOD path [protocol]` (nginx logs garbage such as
//   TLS handshakes sent to a plain port as "\x16\x03...") gives `request` instead of
//   method/path/protocol. The common log format (no referer/user agent) matches too; anything
//   after the user agent (e.g. an appended $request_time) is ignored.
// - `syslog_rfc3164`: `<PRI>Mmm dd hh:mm:ss host tag[pid]: msg`, PRI optional (files written by
//   rsyslog/syslog-ng omit it). Fields: pri, time, host, ident, pid, msg.
// - `syslog_rfc5424`: `<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD [MSG]`. Fields: pri,
//   version, time, host, app_name, procid, msgid, structured_data, msg ("-" nil values are kept
//   as "-").
// The text after the header is `msg` (not `message`, which is the event's line).
// Built-ins are matched as Latin-1 so that any byte (invalid UTF-8 included) matches.
// The stage matches them with the format scanners of format_scanners.h, which give exactly what
// RE2 gives for these patterns: a change to a pattern here needs the same change there
// (tests/fuzz/fuzz_regex_formats.cc and format_scanners_test.cc compare the two).
#pragma once

#include <string_view>
#include <vector>

namespace logagent::plugins::regex {

struct RegexFormat {
  std::string_view name;
  std::string_view pattern;
};

const std::vector<RegexFormat>& regex_formats();
// The pattern of built-in format `name`, or empty when there is none.
std::string_view find_regex_format(std::string_view name);

}  // namespace logagent::plugins::regex
