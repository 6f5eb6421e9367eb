#include "plugins/processors/timestamp/time_text.h"

namespace logagent::plugins::timestamp::detail {

const char* to_unix(const Civil& c, int32_t default_offset_s, int64_t& unix_ns) {
  if (c.year < 1 || c.hour > 23 || c.minute > 59 || c.second > 60) return kOutOfRange;
  int64_t days = 0;
  if (c.year_day > 0) {
    if (c.year_day > (is_leap(c.year) ? 366 : 365)) return kOutOfRange;
    days = days_from_civil(c.year, 1, 1) + c.year_day - 1;
  } else {
    if (c.month < 1 || c.month > 12 || c.day < 1) return kOutOfRange;
    if (static_cast<unsigned>(c.day) > days_in_month(c.year, static_cast<unsigned>(c.month))) {
      return kOutOfRange;
    }
    days = days_from_civil(c.year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day));
  }
  const int64_t seconds = days * kSecondsPerDay + c.hour * 3600 + c.minute * 60 + c.second -
                          (c.has_offset ? c.offset_s : default_offset_s);
  if (seconds < 0 || seconds > kMaxSeconds) return kBeyondEpoch;
  unix_ns = seconds * kNsPerSecond + c.nanos;
  if (unix_ns == 0) return kBeyondEpoch;  // 0 means "not set" in Batch::event_times
  return nullptr;
}

const char* parse_rfc3339(std::string_view text, const ParseContext& ctx, int64_t& unix_ns) {
  if (text.empty()) return kEmpty;
  Cursor c(text);
  Civil t;
  if (!c.digits(4, 4, t.year) || !c.eat('-') || !c.digits(2, 2, t.month) || !c.eat('-') ||
      !c.digits(2, 2, t.day)) {
    return kNoMatch;
  }
  if (!c.eat('T') && !c.eat('t') && !c.eat(' ')) return kNoMatch;
  if (!c.digits(2, 2, t.hour) || !c.eat(':') || !c.digits(2, 2, t.minute) || !c.eat(':') ||
      !c.digits(2, 2, t.second)) {
    return kNoMatch;
  }
  if (c.eat('.') && !c.fraction(t.nanos)) return kNoMatch;
  if (!c.done()) {
    if (!c.offset(t.offset_s)) return kNoMatch;
    t.has_offset = true;
  }
  if (!c.done()) return kNoMatch;
  return to_unix(t, ctx.offset_s, unix_ns);
}

const char* parse_epoch(std::string_view text, int64_t unit_ns, int64_t& unix_ns) {
  if (text.empty()) return kEmpty;
  size_t i = 0;
  int64_t whole = 0;
  const int64_t limit = std::numeric_limits<int64_t>::max() / unit_ns;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const int digit = text[i] - '0';
    if (whole > (limit - digit) / 10) return kBeyondEpoch;
    whole = whole * 10 + digit;
  }
  if (i == 0) return kNotNumber;
  int64_t frac = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const size_t start = i;
    int64_t step = unit_ns;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      step /= 10;
      frac += (text[i] - '0') * step;
    }
    if (i == start) return kNotNumber;
  }
  if (i != text.size()) return kNotNumber;
  const int64_t ns = whole * unit_ns;
  if (ns > std::numeric_limits<int64_t>::max() - frac) return kBeyondEpoch;
  unix_ns = ns + frac;
  if (unix_ns == 0) return kBeyondEpoch;
  return nullptr;
}

}  // namespace logagent::plugins::timestamp::detail
