// TimeFormat: parses a timestamp text into nanoseconds since the Unix epoch, for the timestamp
// stage. Hand-written parsers: no locale, no allocation when parsing.
//
// Formats (the `format` option):
//   rfc3339    2024-05-01T12:34:56.789Z, 2024-05-01 12:34:56+02:00 ('T', 't' or ' ' between
//              date and time; fraction optional, any number of digits, nanoseconds kept; offset
//              Z, z, ±hh:mm or ±hhmm; without an offset the stage's timezone applies)
//   epoch_s, epoch_ms, epoch_us, epoch_ns
//              a non-negative decimal number of seconds/milliseconds/... since the epoch, as a
//              JSON number or a numeric string; a fraction is allowed (kept down to the
//              nanosecond); no sign, exponent or spaces
//   a pattern  any text containing '%', e.g. "%d/%b/%Y:%H:%M:%S %z" (nginx) or
//              "%b %e %H:%M:%S" (syslog). Directives:
//                %Y  4-digit year          %y  2-digit year (69-99 → 19xx, 00-68 → 20xx)
//                %m  month 1-12 (1-2 digits)  %b  month name, abbreviated or full, any case
//                %d  day 1-31 (1-2 digits)    %e  the same, space-padded ("Oct  1")
//                %j  day of the year 1-366 (needs %Y or %y; not with month or day)
//                %H  hour 0-23   %M  minute 0-59   %S  second 0-60   %T  = %H:%M:%S
//                %f  fraction of a second (digits; the '.' or ',' before it is literal)
//                %z  offset: Z, ±hh:mm, ±hhmm or ±hh
//                %a  weekday name, abbreviated or full, any case (skipped, not checked)
//                %%  a literal '%'
//              A space matches one or more spaces or tabs; any other character matches itself.
//              The whole text must match. A pattern needs a month and a day (or %j); without
//              %H/%M/%S those are 0. Without a year, the year is the one of `now` (see
//              ParseContext) with a rollover rule: a December time read in January is from the
//              previous year, a January time read in December from the next.
// Times before 1970-01-01T00:00:00Z or after 2262 (the int64 nanosecond range) are errors.
//
// Threads: a compiled TimeFormat is immutable; parse() may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/status.h"

namespace logagent::plugins::timestamp {

// What a text cannot say for itself.
struct ParseContext {
  int32_t offset_s = 0;  // UTC offset for texts without one (timezone option)
  int64_t now_ns = 0;    // the read time: gives the year to formats without one
};

class TimeFormat {
 public:
  // "rfc3339", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns" or a pattern containing '%'.
  // The error names the offending directive and its position.
  static Result<TimeFormat> compile(std::string_view format);

  // Parses `text` into `unix_ns`. Returns nullptr, or a short message in static storage
  // ("timestamp: ...").
  const char* parse(std::string_view text, const ParseContext& ctx, int64_t& unix_ns) const;

 private:
  enum class Kind : uint8_t { kRfc3339, kEpoch, kPattern };
  enum class Op : uint8_t {
    kLiteral,
    kSpace,
    kYear4,
    kYear2,
    kMonth,
    kMonthName,
    kDay,
    kDaySpace,
    kYearDay,
    kHour,
    kMinute,
    kSecond,
    kFraction,
    kOffset,
    kWeekday,
  };
  struct Token {
    Op op;
    char literal;
  };
  // The Op of directive letter `d` (not 'T' or '%', which expand), or none.
  static std::optional<Op> directive(char d);
  Status compile_pattern(std::string_view format, std::string& seen);
  const char* parse_pattern(std::string_view text, const ParseContext& ctx, int64_t& unix_ns) const;

  Kind kind_ = Kind::kRfc3339;
  int64_t epoch_unit_ns_ = 1;
  std::vector<Token> tokens_;
};

// "UTC", "Z" or a fixed offset "±hh:mm" (also "±hhmm") → seconds east of UTC.
Result<int32_t> parse_utc_offset(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date (any year in [1, 9999]).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

}  // namespace logagent::plugins::timestamp
