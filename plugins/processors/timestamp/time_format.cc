#include "plugins/processors/timestamp/time_format.h"

#include <fmt/format.h>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "agent/core/clock.h"
#include "plugins/processors/timestamp/time_text.h"

namespace logagent::plugins::timestamp {

using detail::Civil;
using detail::Cursor;
using detail::kEmpty;
using detail::kMonths;
using detail::kNoMatch;
using detail::kNsPerSecond;
using detail::kSecondsPerDay;
using detail::kWeekdays;

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

namespace {

// The checks over the set of directive letters a pattern used.
Status check_directives(std::string_view seen) {
  auto has = [seen](std::string_view any) { return seen.find_first_of(any) != std::string::npos; };
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
  return Status::ok();
}

}  // namespace

std::optional<TimeFormat::Op> TimeFormat::directive(char d) {
  static constexpr std::pair<char, Op> kDirectives[] = {
      {'Y', Op::kYear4},  {'y', Op::kYear2},    {'m', Op::kMonth},    {'b', Op::kMonthName},
      {'d', Op::kDay},    {'e', Op::kDaySpace}, {'j', Op::kYearDay},  {'H', Op::kHour},
      {'M', Op::kMinute}, {'S', Op::kSecond},   {'f', Op::kFraction}, {'z', Op::kOffset},
      {'a', Op::kWeekday}};
  for (const auto& [letter, op] : kDirectives) {
    if (letter == d) return op;
  }
  return std::nullopt;
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
  if (Status st = f.compile_pattern(format, seen); !st) return st;
  if (Status st = check_directives(seen); !st) return st;
  return f;
}

// Appends the tokens of `format` and the directive letters it uses to `seen`.
Status TimeFormat::compile_pattern(std::string_view format, std::string& seen) {
  for (size_t i = 0; i < format.size(); ++i) {
    const char ch = format[i];
    if (ch == ' ') {
      if (tokens_.empty() || tokens_.back().op != Op::kSpace) tokens_.push_back({Op::kSpace, 0});
      continue;
    }
    if (ch != '%') {
      tokens_.push_back({Op::kLiteral, ch});
      continue;
    }
    if (++i == format.size()) {
      return Status::error("format ends with a lone '%' (write %% for a literal '%')");
    }
    const char d = format[i];
    if (d == '%') {
      tokens_.push_back({Op::kLiteral, '%'});
      continue;
    }
    const std::optional<Op> op = directive(d);
    if (!op && d != 'T') {
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
      tokens_.insert(tokens_.end(), {{Op::kHour, 0},
                                     {Op::kLiteral, ':'},
                                     {Op::kMinute, 0},
                                     {Op::kLiteral, ':'},
                                     {Op::kSecond, 0}});
    } else {
      tokens_.push_back({*op, 0});
    }
  }
  return Status::ok();
}

const char* TimeFormat::parse(std::string_view text, const ParseContext& ctx,
                              int64_t& unix_ns) const {
  switch (kind_) {
    case Kind::kRfc3339:
      return detail::parse_rfc3339(text, ctx, unix_ns);
    case Kind::kEpoch:
      return detail::parse_epoch(text, epoch_unit_ns_, unix_ns);
    case Kind::kPattern:
      break;
  }
  return parse_pattern(text, ctx, unix_ns);
}

namespace {

// The year of the read time in the configured zone, with the December/January rollover: a
// December time read in January is from the previous year, a January time read in December
// from the next.
int year_of_read_time(int month, const ParseContext& ctx) {
  const int64_t local = ctx.now_ns / kNsPerSecond + ctx.offset_s;
  const CivilDate date = civil_from_days(
      local >= 0 ? local / kSecondsPerDay : (local - kSecondsPerDay + 1) / kSecondsPerDay);
  int64_t year = date.year;
  if (month == 12 && date.month == 1) --year;
  if (month == 1 && date.month == 12) ++year;
  return static_cast<int>(year);
}

}  // namespace

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
  if (t.year < 0) t.year = year_of_read_time(t.month, ctx);
  return detail::to_unix(t, ctx.offset_s, unix_ns);
}

}  // namespace logagent::plugins::timestamp
