#include "plugins/processors/timestamp/time_text.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

using namespace logagent::plugins::timestamp;
using namespace logagent::plugins::timestamp::detail;

TEST_CASE("time text: the cursor reads digits within bounds") {
  Cursor c("2024x");
  int v = 0;
  CHECK(c.digits(2, 2, v));
  CHECK(v == 20);
  CHECK(c.digits(1, 4, v));
  CHECK(v == 24);
  CHECK_FALSE(c.digits(1, 2, v));  // 'x' is no digit
  CHECK(c.eat('x'));
  CHECK(c.done());
}

TEST_CASE("time text: a fraction keeps nanoseconds and ignores digits past the ninth") {
  int64_t ns = 0;
  Cursor a("5");
  CHECK(a.fraction(ns));
  CHECK(ns == 500'000'000);
  Cursor b("1234567891234");
  CHECK(b.fraction(ns));
  CHECK(ns == 123'456'789);
  CHECK(b.done());
  Cursor none("Z");
  CHECK_FALSE(none.fraction(ns));
}

TEST_CASE("time text: offsets Z, ±hh:mm, ±hhmm and ±hh, and out-of-range ones refused") {
  auto offset = [](const char* text) -> int64_t {
    Cursor c(text);
    int32_t s = 0;
    if (!c.offset(s) || !c.done()) return -1'000'000;
    return s;
  };
  CHECK(offset("Z") == 0);
  CHECK(offset("z") == 0);
  CHECK(offset("+02:00") == 7200);
  CHECK(offset("-0730") == -(7 * 3600 + 30 * 60));
  CHECK(offset("+05") == 5 * 3600);
  CHECK(offset("+24:00") == -1'000'000);
  CHECK(offset("+01:60") == -1'000'000);
  CHECK(offset("01:00") == -1'000'000);
}

TEST_CASE("time text: names match by three letters or in full, in any case") {
  int i = -1;
  Cursor a("SEPTEMBER");
  CHECK(a.name(kMonths, i));
  CHECK(i == 8);
  CHECK(a.done());
  Cursor b("sepx");
  CHECK(b.name(kMonths, i));
  CHECK(i == 8);
  CHECK(b.eat('x'));
  Cursor c("Xyz");
  CHECK_FALSE(c.name(kWeekdays, i));
  Cursor d("mo");
  CHECK_FALSE(d.name(kWeekdays, i));
}

TEST_CASE("time text: to_unix checks the calendar, leap years included") {
  int64_t ns = 0;
  Civil leap;
  leap.year = 2024;
  leap.month = 2;
  leap.day = 29;
  CHECK(to_unix(leap, 0, ns) == nullptr);
  CHECK(ns == int64_t{1'709'164'800} * 1'000'000'000);
  Civil not_leap = leap;
  not_leap.year = 2100;
  CHECK(to_unix(not_leap, 0, ns) == kOutOfRange);
  Civil offset = leap;
  offset.has_offset = true;
  offset.offset_s = 3600;  // 01:00 east: one hour earlier in UTC
  CHECK(to_unix(offset, -7200, ns) == nullptr);
  CHECK(ns == (int64_t{1'709'164'800} - 3600) * 1'000'000'000);
  Civil day_of_year;
  day_of_year.year = 2023;
  day_of_year.year_day = 366;
  CHECK(to_unix(day_of_year, 0, ns) == kOutOfRange);
  day_of_year.year_day = 365;
  CHECK(to_unix(day_of_year, 0, ns) == nullptr);
}

TEST_CASE("time text: the epoch itself and times past 2262 are refused") {
  int64_t ns = 0;
  Civil epoch;
  epoch.year = 1970;
  CHECK(to_unix(epoch, 0, ns) == kBeyondEpoch);  // 0 means "not set" to the stage
  Civil far;
  far.year = 2263;
  CHECK(to_unix(far, 0, ns) == kBeyondEpoch);
  CHECK(parse_epoch("0", 1, ns) == kBeyondEpoch);
  CHECK(parse_epoch("9223372036854775808", 1, ns) == kBeyondEpoch);
}

TEST_CASE("time text: rfc3339 and epoch texts") {
  int64_t ns = 0;
  const ParseContext ctx{};
  CHECK(parse_rfc3339("2024-05-01T12:34:56.5+02:00", ctx, ns) == nullptr);
  CHECK(ns == int64_t{1'714'559'696} * 1'000'000'000 + 500'000'000);
  CHECK(parse_rfc3339("2024-05-01 12:34:56", ParseContext{3600, 0}, ns) == nullptr);
  CHECK(ns == int64_t{1'714'566'896 - 3600} * 1'000'000'000);
  CHECK(parse_rfc3339("2024-05-01T12:34", ctx, ns) == kNoMatch);
  CHECK(parse_rfc3339("", ctx, ns) == kEmpty);
  CHECK(parse_epoch("1.25", 1'000'000'000, ns) == nullptr);
  CHECK(ns == 1'250'000'000);
  CHECK(parse_epoch("-1", 1, ns) == kNotNumber);
  CHECK(parse_epoch("1.", 1, ns) == kNotNumber);
  CHECK(parse_epoch("", 1, ns) == kEmpty);
}
