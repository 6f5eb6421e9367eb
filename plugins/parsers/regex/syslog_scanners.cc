// The scanners of the syslog patterns (kSyslog3164 and kSyslog5424 in regex_formats.cc). Each
// step names the part of the pattern it stands for. Both patterns end in `(?P<msg>.*)$`: `.`
// does not match '\n' and `$` is the end of the text, so a '\n' where msg would be is no match.
#include <array>
#include <cstring>

#include "plugins/parsers/regex/format_scanners.h"
#include "plugins/parsers/regex/scan_text.h"

namespace logagent::plugins::regex {
namespace {

using scan::at;
using scan::is_digit;
using scan::npos;

bool has_newline(std::string_view s, size_t from) {
  return from < s.size() && std::memchr(s.data() + from, '\n', s.size() - from) != nullptr;
}

// `<(?P<pri>\d{1,3})>` at 0: the position after '>', or npos.
size_t pri(std::string_view s, std::string_view& group) {
  if (!at(s, 0, '<')) return npos;
  const size_t end = scan::digits_end(s, 1, 3);
  if (end == 1 || !at(s, end, '>')) return npos;
  group = s.substr(1, end - 1);
  return end + 1;
}

// --- RFC 3164 ---------------------------------------------------------------------------------

enum Group3164 : size_t { kPri3164, kTime3164, kHost3164, kIdent, kPid, kMsg3164, kGroups3164 };
constexpr std::array<std::string_view, kGroups3164> kNames3164 = {"pri",   "time", "host",
                                                                  "ident", "pid",  "msg"};

constexpr bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_ident_byte(char c) {  // [^\s\[\]:]
  return !scan::is_space(c) && c != '[' && c != ']' && c != ':';
}
constexpr bool is_pid_byte(char c) { return !scan::is_space(c) && c != ']'; }  // [^\]\s]

// `[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d` at `i` (15 bytes).
bool timestamp_3164(std::string_view s, size_t i) {
  if (s.size() < i + 15) return false;
  const std::string_view t = s.substr(i, 15);
  return is_upper(t[0]) && is_lower(t[1]) && is_lower(t[2]) && t[3] == ' ' &&
         (t[4] == ' ' || is_digit(t[4])) && is_digit(t[5]) && t[6] == ' ' && is_digit(t[7]) &&
         is_digit(t[8]) && t[9] == ':' && is_digit(t[10]) && is_digit(t[11]) && t[12] == ':' &&
         is_digit(t[13]) && is_digit(t[14]);
}

// `(?:(?P<ident>[^\s\[\]:]+)(?:\[(?P<pid>[^\]\s]*)\])?: ?)?` at `i`: the start of msg. The group
// is greedy and `.*$` after it always matches (no '\n' is left), so it is taken whenever it can
// be; its runs end on a byte outside their class, so the longest runs are the only candidates.
size_t ident_pid(std::string_view s, size_t i, std::string_view* g) {
  g[kIdent] = g[kPid] = {};
  size_t end = i;
  while (end < s.size() && is_ident_byte(s[end])) ++end;
  if (end == i) return i;
  size_t colon = end;
  if (at(s, end, '[')) {
    colon = end + 1;
    while (colon < s.size() && is_pid_byte(s[colon])) ++colon;
    if (!at(s, colon, ']')) return i;  // without the pid, '[' is not the ':' required next
    g[kPid] = s.substr(end + 1, colon - end - 1);
    ++colon;
  }
  if (!at(s, colon, ':')) {
    g[kPid] = {};
    return i;
  }
  g[kIdent] = s.substr(i, end - i);
  return at(s, colon + 1, ' ') ? colon + 2 : colon + 1;
}

bool scan_3164(std::string_view s, std::string_view* g) {
  if (has_newline(s, 0)) return false;  // no group matches '\n', and msg cannot
  // `(?:<(?P<pri>\d{1,3})>)?`: without it the time's [A-Z] cannot match a '<' either.
  g[kPri3164] = {};
  const size_t time = at(s, 0, '<') ? pri(s, g[kPri3164]) : 0;
  if (time == npos || !timestamp_3164(s, time) || !at(s, time + 15, ' ')) return false;
  g[kTime3164] = s.substr(time, 15);
  const size_t host_end = scan::word_then_space(s, time + 16, g[kHost3164]);
  if (host_end == npos) return false;
  g[kMsg3164] = s.substr(ident_pid(s, host_end, g));
  return true;
}

// --- RFC 5424 ---------------------------------------------------------------------------------

enum Group5424 : size_t {
  kPri5424,
  kVersion,
  kTime5424,
  kHost5424,
  kAppName,
  kProcId,
  kMsgId,
  kStructuredData,
  kMsg5424,
  kGroups5424
};
constexpr std::array<std::string_view, kGroups5424> kNames5424 = {
    "pri", "version", "time", "host", "app_name", "procid", "msgid", "structured_data", "msg"};

// `(?P<structured_data>-|(?:\[(?:[^\]\\]|\\.)*\])+)` at `i`: its end, or npos. As many blocks as
// there are: after fewer, the next byte is '[', which the rest (` msg` or the end) cannot match.
size_t structured_data(std::string_view s, size_t i) {
  if (at(s, i, '-')) return i + 1;  // the first alternative; a '-' cannot start the second one
  size_t end = i;
  while (at(s, end, '[')) {
    const size_t close = scan::escaped_until(s, end + 1, ']');
    if (close == npos) break;
    end = close + 1;
  }
  return end == i ? npos : end;
}

bool scan_5424(std::string_view s, std::string_view* g) {
  size_t i = pri(s, g[kPri5424]);
  if (i == npos) return false;
  // (?P<version>\d{1,2}) then five `(?P<g>\S+) `
  const size_t version_end = scan::digits_end(s, i, 2);
  if (version_end == i || !at(s, version_end, ' ')) return false;
  g[kVersion] = s.substr(i, version_end - i);
  i = version_end + 1;
  for (size_t group = kTime5424; group <= kMsgId && i != npos; ++group) {
    i = scan::word_then_space(s, i, g[group]);
  }
  if (i == npos) return false;
  const size_t sd_end = structured_data(s, i);
  if (sd_end == npos) return false;
  g[kStructuredData] = s.substr(i, sd_end - i);
  // `(?: (?P<msg>.*))?$`
  g[kMsg5424] = {};
  if (sd_end == s.size()) return true;
  if (!at(s, sd_end, ' ') || has_newline(s, sd_end + 1)) return false;
  g[kMsg5424] = s.substr(sd_end + 1);
  return true;
}

constexpr FormatScanner kScanner3164{kNames3164, scan_3164};
constexpr FormatScanner kScanner5424{kNames5424, scan_5424};

}  // namespace

const FormatScanner& syslog_rfc3164_scanner() { return kScanner3164; }
const FormatScanner& syslog_rfc5424_scanner() { return kScanner5424; }

}  // namespace logagent::plugins::regex
