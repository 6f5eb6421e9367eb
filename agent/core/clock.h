// Time helpers shared by the core and the plugins: the monotonic clock in nanoseconds, a sleep a
// stop_token ends, and the civil date of a day count (for RFC 3339 text and syslog years).
//
// Threads: pure functions.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace logagent {

// Steady (monotonic) clock, nanoseconds since an arbitrary epoch: for ages, latencies, deadlines.
inline int64_t mono_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Sleeps until `deadline` or until `stop` is requested, whichever comes first. True when the
// deadline came, false when stopped.
inline bool sleep_until(const std::stop_token& stop,
                        std::chrono::steady_clock::time_point deadline) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_until(lock, stop, deadline, [] { return false; });
  return !stop.stop_requested();
}

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// The proleptic Gregorian date of `days` since 1970-01-01 (H. Hinnant's civil_from_days; any
// int64 day count a time in nanoseconds can hold).
constexpr CivilDate civil_from_days(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (month <= 2), month, day};
}

}  // namespace logagent
