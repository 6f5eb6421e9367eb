// The scanner of the combined access log pattern (kCombined in regex_formats.cc: `nginx`,
// `apache`, `combined`). Each step names the part of the pattern it stands for.
#include <array>

#include "plugins/parsers/regex/format_scanners.h"
#include "plugins/parsers/regex/scan_text.h"

namespace logagent::plugins::regex {
namespace {

using scan::at;
using scan::npos;

enum Group : size_t {
  kClient,
  kIdent,
  kUser,
  kTime,
  kMethod,
  kPath,
  kProtocol,
  kRequest,
  kStatus,
  kBytes,
  kReferer,
  kUserAgent,
  kGroups
};

constexpr std::array<std::string_view, kGroups> kNames = {
    "client",   "ident",   "user",   "time",  "method",  "path",
    "protocol", "request", "status", "bytes", "referer", "user_agent"};

constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_request_byte(char c) { return c != ' ' && c != '"'; }  // [^ "]

size_t request_byte_end(std::string_view s, size_t i) {
  while (i < s.size() && is_request_byte(s[i])) ++i;
  return i;
}

// `(?P<method>[A-Z]+) (?P<path>[^ "]*)(?: (?P<protocol>[^ "]*))?` at `i`, followed by '"': the
// position of that '"', or npos. Each run is greedy and what follows it is a byte outside its
// class, so the longest runs are the only candidates. The protocol group is tried first; leaving
// it out would need the '"' where its ' ' is, so when it fails the alternative fails.
size_t method_path_protocol(std::string_view s, size_t i, std::string_view* g) {
  size_t end = i;
  while (end < s.size() && is_upper(s[end])) ++end;
  if (end == i || !at(s, end, ' ')) return npos;
  const size_t path = end + 1;
  const size_t path_end = request_byte_end(s, path);
  size_t quote = path_end;
  if (at(s, path_end, ' ')) {
    quote = request_byte_end(s, path_end + 1);
    g[kProtocol] = s.substr(path_end + 1, quote - path_end - 1);
  } else {
    g[kProtocol] = {};
  }
  if (!at(s, quote, '"')) return npos;
  g[kMethod] = s.substr(i, end - i);
  g[kPath] = s.substr(path, path_end - path);
  return quote;
}

// `" (?P<status>\d{3}) (?P<bytes>\d+|-)` at `quote`: the end of bytes, or npos. bytes takes the
// whole run of digits: nothing after it is required, so giving digits back never helps.
size_t status_bytes(std::string_view s, size_t quote, std::string_view* g) {
  const size_t status = quote + 2;
  if (!at(s, quote + 1, ' ') || scan::digits_end(s, status, 3) != status + 3 ||
      !at(s, status + 3, ' ')) {
    return npos;
  }
  const size_t bytes = status + 4;
  size_t end = scan::digits_end(s, bytes, s.size());
  if (end == bytes) {
    if (!at(s, bytes, '-')) return npos;
    end = bytes + 1;
  }
  g[kStatus] = s.substr(status, 3);
  g[kBytes] = s.substr(bytes, end - bytes);
  return end;
}

// `(?: "(?P<referer>...)" "(?P<user_agent>...)")?` at `i`: both groups, or neither.
void referer_user_agent(std::string_view s, size_t i, std::string_view* g) {
  g[kReferer] = {};
  g[kUserAgent] = {};
  if (!at(s, i, ' ') || !at(s, i + 1, '"')) return;
  const size_t referer_end = scan::escaped_until(s, i + 2, '"');
  if (referer_end == npos || !at(s, referer_end + 1, ' ') || !at(s, referer_end + 2, '"')) return;
  const size_t agent = referer_end + 3;
  const size_t agent_end = scan::escaped_until(s, agent, '"');
  if (agent_end == npos) return;
  g[kReferer] = s.substr(i + 2, referer_end - i - 2);
  g[kUserAgent] = s.substr(agent, agent_end - agent);
}

bool scan_combined(std::string_view s, std::string_view* g) {
  size_t i = scan::word_then_space(s, 0, g[kClient]);
  if (i != npos) i = scan::word_then_space(s, i, g[kIdent]);
  if (i != npos) i = scan::word_then_space(s, i, g[kUser]);
  if (i == npos || !at(s, i, '[')) return false;
  // \[(?P<time>[^\]]*)\] "
  const size_t close = s.find(']', i + 1);
  if (close == npos || !at(s, close + 1, ' ') || !at(s, close + 2, '"')) return false;
  g[kTime] = s.substr(i + 1, close - i - 1);
  const size_t request = close + 3;
  // The first alternative, METHOD path [protocol], wins when the rest of the pattern matches
  // after it; else the second, any escaped text up to the first unescaped '"'.
  size_t quote = method_path_protocol(s, request, g);
  size_t end = quote == npos ? npos : status_bytes(s, quote, g);
  if (end != npos) {
    g[kRequest] = {};
  } else {
    quote = scan::escaped_until(s, request, '"');
    if (quote == npos) return false;
    end = status_bytes(s, quote, g);
    if (end == npos) return false;
    g[kMethod] = g[kPath] = g[kProtocol] = {};
    g[kRequest] = s.substr(request, quote - request);
  }
  referer_user_agent(s, end, g);
  return true;
}

constexpr FormatScanner kScanner{kNames, scan_combined};

}  // namespace

const FormatScanner& combined_scanner() { return kScanner; }

}  // namespace logagent::plugins::regex
