#include "agent/core/clock.h"

#include <doctest/doctest.h>

#include <chrono>
#include <stop_token>
#include <thread>

#include "agent/core/host_name.h"

using namespace logagent;

namespace {

bool same(CivilDate d, int64_t y, unsigned m, unsigned day) {
  return d.year == y && d.month == m && d.day == day;
}

}  // namespace

TEST_CASE("civil_from_days: the epoch, leap days, century rules and days before 1970") {
  CHECK(same(civil_from_days(0), 1970, 1, 1));
  CHECK(same(civil_from_days(-1), 1969, 12, 31));
  CHECK(same(civil_from_days(11016), 2000, 2, 29));  // 2000 is a leap year (divisible by 400)
  CHECK(same(civil_from_days(11017), 2000, 3, 1));
  CHECK(same(civil_from_days(-25508), 1900, 3, 1));  // 1900 is not: 28 Feb is followed by 1 Mar
  CHECK(same(civil_from_days(-25509), 1900, 2, 28));
  CHECK(same(civil_from_days(20788), 2026, 12, 1));
  // every day of 1968..2032 agrees with the standard library's calendar
  using namespace std::chrono;
  for (int64_t d = -730; d < 22645; ++d) {
    const year_month_day ymd{sys_days{days{d}}};
    const CivilDate c = civil_from_days(d);
    REQUIRE(c.year == int(ymd.year()));
    REQUIRE(c.month == unsigned(ymd.month()));
    REQUIRE(c.day == unsigned(ymd.day()));
  }
  static_assert(civil_from_days(0).year == 1970);  // usable in constant expressions
}

TEST_CASE("mono_now_ns never goes back; host_name is never empty") {
  const int64_t a = mono_now_ns();
  const int64_t b = mono_now_ns();
  CHECK(b >= a);
  CHECK_FALSE(host_name().empty());
}

TEST_CASE("sleep_until: true when the deadline comes, false when stopped (a stop wakes it)") {
  std::stop_source stop;
  CHECK(sleep_until(stop.get_token(), std::chrono::steady_clock::now()));  // already due
  std::jthread stopper([&] { stop.request_stop(); });
  // An hour away: only the stop can end this sleep (the test would hang otherwise).
  CHECK_FALSE(
      sleep_until(stop.get_token(), std::chrono::steady_clock::now() + std::chrono::hours(1)));
  CHECK_FALSE(sleep_until(stop.get_token(), std::chrono::steady_clock::now()));  // stopped wins
}
