// The pieces TimeFormat (time_format.h) is made of: a read cursor over the text, the civil date
// and time it reads, and the fixed-format parsers (rfc3339, epoch_*). Internal to the timestamp
// stage.
//
// Messages are short texts in static storage ("timestamp: ..."); nullptr means success. Each is
// one inline array, so it has one address in every translation unit and may be compared as a
// pointer (string literals need not be merged: an ASan build keeps them apart).
// Threads: no state; everything may be called from any thread.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "plugins/processors/timestamp/time_format.h"

namespace logagent::plugins::timestamp::detail {

inline constexpr int64_t kNsPerSecond = 1'000'000'000;
inline constexpr int64_t kSecondsPerDay = 86'400;
// The last whole second whose nanoseconds (plus a fraction) still fit an int64 (2262-04-11).
inline constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kNsPerSecond - 1;

inline constexpr char kNoMatch[] = "timestamp: does not match the format";
inline constexpr char kOutOfRange[] = "timestamp: date or time out of range";
inline constexpr char kBeyondEpoch[] = "timestamp: not between 1970 and 2262";
inline constexpr char kNotNumber[] = "timestamp: not a non-negative decimal number";
inline constexpr char kEmpty[] = "timestamp: empty";

inline constexpr const char* kMonths[] = {"january",   "february", "march",    "april",
                                          "may",       "june",     "july",     "august",
                                          "september", "october",  "november", "december"};
inline constexpr const char* kWeekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};

inline bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

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

// Nanoseconds since the epoch of `c`, at its offset or else `default_offset_s`.
const char* to_unix(const Civil& c, int32_t default_offset_s, int64_t& unix_ns);
// 2024-05-01T12:34:56.789Z and its variants (see time_format.h).
const char* parse_rfc3339(std::string_view text, const ParseContext& ctx, int64_t& unix_ns);
// A non-negative decimal number of `unit_ns`, with an optional fraction.
const char* parse_epoch(std::string_view text, int64_t unit_ns, int64_t& unix_ns);

}  // namespace logagent::plugins::timestamp::detail
