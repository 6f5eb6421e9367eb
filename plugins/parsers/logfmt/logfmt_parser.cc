#include "plugins/parsers/logfmt/logfmt_parser.h"

#include <algorithm>
#include <cstring>

namespace logagent::plugins::logfmt {
namespace {

bool is_separator(char c) { return static_cast<unsigned char>(c) <= ' '; }

// Unescapes the quoted body [begin, end) into `dst`; returns the length written.
size_t unescape(const char* begin, const char* end, char* dst) {
  char* d = dst;
  for (const char* p = begin; p < end; ++p) {
    if (*p != '\\' || p + 1 == end) {
      *d++ = *p;
      continue;
    }
    switch (p[1]) {
      case '"':
      case '\\':
        *d++ = p[1];
        break;
      case 'n':
        *d++ = '\n';
        break;
      case 'r':
        *d++ = '\r';
        break;
      case 't':
        *d++ = '\t';
        break;
      default:
        *d++ = '\\';
        *d++ = p[1];
        break;
    }
    ++p;
  }
  return static_cast<size_t>(d - dst);
}

// The quoted value starting after the opening quote at s[i]; advances i past the closing quote.
std::string_view quoted_value(std::string_view s, size_t& i, FieldWriter& out) {
  const size_t begin = i;
  bool escaped = false;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\') {
      escaped = true;
      ++i;  // the escaped byte, whatever it is
    }
    ++i;
  }
  const size_t end = std::min(i, s.size());
  if (i < s.size()) ++i;  // the closing quote
  if (!escaped) return s.substr(begin, end - begin);
  char* dst = out.arena().allocate(end - begin);
  return {dst, unescape(s.data() + begin, s.data() + end, dst)};
}

}  // namespace

const char* LogfmtParser::parse(std::string_view s, FieldWriter& out) {
  size_t pairs = 0;
  size_t i = 0;
  const size_t n = s.size();
  while (true) {
    while (i < n && is_separator(s[i])) ++i;
    if (i >= n) break;
    const size_t key_begin = i;
    while (i < n && !is_separator(s[i]) && s[i] != '=') ++i;
    const std::string_view key = s.substr(key_begin, i - key_begin);
    if (i >= n || s[i] != '=') {
      out.add(key, "true", FieldType::kBool);  // a bare key
      continue;
    }
    ++i;  // '='
    std::string_view value;
    if (i < n && s[i] == '"') {
      ++i;
      value = quoted_value(s, i, out);
    } else {
      const size_t value_begin = i;
      while (i < n && !is_separator(s[i])) ++i;
      value = s.substr(value_begin, i - value_begin);
    }
    if (key.empty()) continue;
    out.add(key, value, FieldType::kString);
    ++pairs;
  }
  return pairs > 0 ? nullptr : "logfmt: no key=value pair";
}

Result<std::unique_ptr<Stage>> LogfmtStage::create(const Options& o, const PluginContext& ctx) {
  return make_parser_stage(to_settings(o), std::make_unique<LogfmtParser>(),
                           ctx.metrics.with_default({{"stage", std::string(kName)}}));
}

}  // namespace logagent::plugins::logfmt
