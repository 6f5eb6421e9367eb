#include "plugins/processors/timestamp/time_format.h"

#include <fmt/format.h>
#include <cstdint>
#include <limits>
#include <string>

#include "agent/core/clock.h"

namespace logagent::plugins::timestamp {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
// The last whole second whose nanoseconds (plus a fraction) still fit an int64 (2262-04-11).
constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kNsPerSecond - 1;

constexpr const char* kNoMatch = "timestamp: does not match the format";
constexpr const char* kOutOfRange = "timestamp: date or time out of range";
constexpr const char* kBeyondEpoch = "timestamp: not between 1970 and 2262";
constexpr const char* kNotNumber = "timestamp: not a non-negative decimal number";
constexpr const char* kEmpty = "timestamp: empty";

constexpr const char* kMonths[] = {"january",   "february", "march",    "april",
                                   "may",       "june",     "july",     "august",
                                   "september", "october",  "november", "december"};
constexpr const char* kWeekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                     "friday", "saturday", "sunday"};

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// A read position in the text being parsed.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool done() const { return p_ == end_; }
  bool next_is(char c) const { return p_ != end_ && *p_ == c; }
  bool eat(char c) {
    if (!next_is(c)) return false;
    ++p_;
    return true;
  }
  // Between `min` and `max` decimal digits.
  bool digits(int min, int max, int& out) {
    int n = 0;
    int v = 0;
    while (n < max && p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      v = v * 10 + (*p_++ - '0');
      ++n;
    }
    out = v;
    return n >= min;
  }
  // One or more digits of a fraction of a second; digits past the ninth are ignored.
  bool fraction(int64_t& nanos) {
    int64_t step = kNsPerSecond;
    nanos = 0;
    const char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      step /= 10;
      nanos += (*p_++ - '0') * step;
    }
    return p_ != start;
  }
  // Z, z, ±hh:mm, ±hhmm or ±hh.
  bool offset(int32_t& seconds) {
    if (eat('Z') || eat('z')) {
      seconds = 0;
      return true;
    }
    int sign = 0;
    if (eat('+')) {
      sign = 1;
    } else if (eat('-')) {
      sign = -1;
    } else {
      return false;
    }
    int hh = 0;
    int mm = 0;
    if (!digits(2, 2, hh) || hh > 23) return false;
    if (eat(':')) {
      if (!digits(2, 2, mm)) return false;
    } else if (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      if (!digits(2, 2, mm)) return false;
    }
    if (mm > 59) return false;
    seconds = sign * (hh * 3600 + mm * 60);
    return true;
  }
  // One or more spaces or tabs.
  bool spaces() {
    const char* start = p_;
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t')) ++p_;
    return p_ != start;
  }
  // A name from `names` (lowercase), its first three letters or all of it, in any case.
  template <size_t N>
  bool name(const char* const (&names)[N], int& index) {
    if (end_ - p_ < 3) return false;
    for (size_t i = 0; i < N; ++i) {
      const char* n = names[i];
      if (lower(p_[0]) != n[0] || lower(p_[1]) != n[1] || lower(p_[2]) != n[2]) continue;
      p_ += 3;
      const char* q = p_;
      const char* rest = n + 3;
      while (*rest != '\0' && q != end_ && lower(*q) == *rest) ++q, ++rest;
      if (*rest == '\0') p_ = q;  // the full name
      index = static_cast<int>(i);
      return true;
    }
    return false;
  }

 private:
  const char* p_;
  const char* end_;
};

// The fields of a parsed text. year < 0: not given.
struct Civil {
  int year = -1;
  int month = 1;
  int day = 1;
  int year_day = 0;  // 1-366 when %j was used
  int hour = 0;
  int minute = 0;
  int second = 0;
  int64_t nanos = 0;
  bool has_offset = false;
  int32_t offset_s = 0;
};

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

}  // namespace

int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<int32_t> parse_utc_offset(std::string_view text) {
  if (text == "UTC" || text == "utc" || text == "Z") return 0;
  Cursor c(text);
  int32_t seconds = 0;
  if (text.empty() || (text[0] != '+' && text[0] != '-') || !c.offset(seconds) || !c.done()) {
    return Status::error(
        fmt::format("'{}' is not UTC or a fixed offset such as +02:00 or -07:00", text));
  }
  return seconds;
}

Result<TimeFormat> TimeFormat::compile(std::string_view format) {
  TimeFormat f;
  if (format == "rfc3339") return f;
  static constexpr std::pair<std::string_view, int64_t> kEpochs[] = {
      {"epoch_s", kNsPerSecond}, {"epoch_ms", 1'000'000}, {"epoch_us", 1'000}, {"epoch_ns", 1}};
  for (const auto& [name, unit] : kEpochs) {
    if (format == name) {
      f.kind_ = Kind::kEpoch;
      f.epoch_unit_ns_ = unit;
      return f;
    }
  }
  if (format.find('%') == std::string_view::npos) {
    return Status::error("unknown format '" + std::string(format) +
                         "': use rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns or a pattern "
                         "with %-directives such as \"%d/%b/%Y:%H:%M:%S %z\"");
  }
  f.kind_ = Kind::kPattern;
  std::string seen;  // directive letters used
  for (size_t i = 0; i < format.size(); ++i) {
    const char ch = format[i];
    if (ch == ' ') {
      if (f.tokens_.empty() || f.tokens_.back().op != Op::kSpace)
        f.tokens_.push_back({Op::kSpace, 0});
      continue;
    }
    if (ch != '%') {
      f.tokens_.push_back({Op::kLiteral, ch});
      continue;
    }
    if (++i == format.size()) {
      return Status::error("format ends with a lone '%' (write %% for a literal '%')");
    }
    const char d = format[i];
    Op op = Op::kLiteral;
    switch (d) {
      case 'Y':
        op = Op::kYear4;
        break;
      case 'y':
        op = Op::kYear2;
        break;
      case 'm':
        op = Op::kMonth;
        break;
      case 'b':
        op = Op::kMonthName;
        break;
      case 'd':
        op = Op::kDay;
        break;
      case 'e':
        op = Op::kDaySpace;
        break;
      case 'j':
        op = Op::kYearDay;
        break;
      case 'H':
        op = Op::kHour;
        break;
      case 'M':
        op = Op::kMinute;
        break;
      case 'S':
        op = Op::kSecond;
        break;
      case 'f':
        op = Op::kFraction;
        break;
      case 'z':
        op = Op::kOffset;
        break;
      case 'a':
        op = Op::kWeekday;
        break;
      case 'T':
        break;
      case '%':
        f.tokens_.push_back({Op::kLiteral, '%'});
        continue;
      default:
        return Status::error("format: unknown directive '%" + std::string(1, d) + "' at offset " +
                             std::to_string(i - 1) +
                             " (known: %Y %y %m %b %d %e %j %H %M %S %T %f %z %a %%)");
    }
    const std::string letters = d == 'T' ? "HMS" : std::string(1, d);
    for (const char l : letters) {
      if (seen.find(l) != std::string::npos) {
        return Status::error("format: '%" + std::string(1, l) + "' appears more than once");
      }
      seen.push_back(l);
    }
    if (d == 'T') {
      f.tokens_.insert(f.tokens_.end(), {{Op::kHour, 0},
                                         {Op::kLiteral, ':'},
                                         {Op::kMinute, 0},
                                         {Op::kLiteral, ':'},
                                         {Op::kSecond, 0}});
    } else {
      f.tokens_.push_back({op, 0});
    }
  }
  auto has = [&seen](std::string_view any) { return seen.find_first_of(any) != std::string::npos; };
  if (has("Y") && has("y")) return Status::error("format: use either %Y or %y, not both");
  if (has("m") && has("b")) return Status::error("format: use either %m or %b, not both");
  if (has("d") && has("e")) return Status::error("format: use either %d or %e, not both");
  if (has("j")) {
    if (has("mbde")) return Status::error("format: %j cannot be combined with a month or a day");
    if (!has("Yy")) return Status::error("format: %j needs a year (%Y or %y)");
  } else if (!has("mb") || !has("de")) {
    return Status::error(
        "format: needs a month (%m or %b) and a day (%d or %e), or a day of the year (%j)");
  }
  return f;
}

const char* TimeFormat::parse(std::string_view text, const ParseContext& ctx,
                              int64_t& unix_ns) const {
  switch (kind_) {
    case Kind::kRfc3339:
      return parse_rfc3339(text, ctx, unix_ns);
    case Kind::kEpoch:
      return parse_epoch(text, epoch_unit_ns_, unix_ns);
    case Kind::kPattern:
      break;
  }
  return parse_pattern(text, ctx, unix_ns);
}

const char* TimeFormat::parse_pattern(std::string_view text, const ParseContext& ctx,
                                      int64_t& unix_ns) const {
  if (text.empty()) return kEmpty;
  Cursor c(text);
  Civil t;
  int index = 0;
  bool ok = true;
  for (const Token& tok : tokens_) {
    switch (tok.op) {
      case Op::kLiteral:
        ok = c.eat(tok.literal);
        break;
      case Op::kSpace:
        ok = c.spaces();
        break;
      case Op::kYear4:
        ok = c.digits(4, 4, t.year);
        break;
      case Op::kYear2:
        ok = c.digits(2, 2, t.year);
        t.year += t.year < 69 ? 2000 : 1900;
        break;
      case Op::kMonth:
        ok = c.digits(1, 2, t.month);
        break;
      case Op::kMonthName:
        ok = c.name(kMonths, index);
        t.month = index + 1;
        break;
      case Op::kDaySpace:
        c.eat(' ');
        ok = c.digits(1, 2, t.day);
        break;
      case Op::kDay:
        ok = c.digits(1, 2, t.day);
        break;
      case Op::kYearDay:
        ok = c.digits(1, 3, t.year_day) && t.year_day > 0;
        break;
      case Op::kHour:
        ok = c.digits(1, 2, t.hour);
        break;
      case Op::kMinute:
        ok = c.digits(1, 2, t.minute);
        break;
      case Op::kSecond:
        ok = c.digits(1, 2, t.second);
        break;
      case Op::kFraction:
        ok = c.fraction(t.nanos);
        break;
      case Op::kOffset:
        ok = c.offset(t.offset_s);
        t.has_offset = true;
        break;
      case Op::kWeekday:
        ok = c.name(kWeekdays, index);
        break;
    }
    if (!ok) return kNoMatch;
  }
  if (!c.done()) return kNoMatch;
  if (t.year < 0) {
    // The year of the read time in the configured zone, with the December/January rollover.
    const int64_t local = ctx.now_ns / kNsPerSecond + ctx.offset_s;
    const CivilDate date = civil_from_days(
        local >= 0 ? local / kSecondsPerDay : (local - kSecondsPerDay + 1) / kSecondsPerDay);
    int64_t year = date.year;
    const unsigned month = date.month;
    if (t.month == 12 && month == 1) --year;
    if (t.month == 1 && month == 12) ++year;
    t.year = static_cast<int>(year);
  }
  return to_unix(t, ctx.offset_s, unix_ns);
}

}  // namespace logagent::plugins::timestamp
