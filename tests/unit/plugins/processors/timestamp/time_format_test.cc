// TimeFormat on real-world samples: RFC 3339, epochs, nginx, syslog, and garbage.
#include "plugins/processors/timestamp/time_format.h"

#include <doctest/doctest.h>

#include <string>

using namespace logagent;
using namespace logagent::plugins::timestamp;

namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kOct20of2024 = 1729382400 * kS;  // a read time: 2024-10-20T00:00:00Z

TimeFormat compile(std::string_view f) {
  auto r = TimeFormat::compile(f);
  REQUIRE_MESSAGE(r, r.message());
  return r.value();
}

// The parsed time, or "error: <message>".
std::string parse(std::string_view format, std::string_view text, int64_t now = kOct20of2024,
                  int32_t offset_s = 0) {
  const TimeFormat f = compile(format);
  int64_t ns = 0;
  const char* err = f.parse(text, ParseContext{offset_s, now}, ns);
  if (err != nullptr) return std::string("error: ") + err;
  return std::to_string(ns);
}

std::string at(int64_t seconds, int64_t nanos = 0) { return std::to_string(seconds * kS + nanos); }

std::string compile_error(std::string_view f) {
  auto r = TimeFormat::compile(f);
  return r ? "ok" : r.message();
}

}  // namespace

TEST_CASE("rfc3339 takes fractions of any length and Z or numeric offsets") {
  CHECK(parse("rfc3339", "2024-05-01T12:34:56Z") == at(1714566896));
  CHECK(parse("rfc3339", "2024-05-01T12:34:56.789Z") == at(1714566896, 789'000'000));
  CHECK(parse("rfc3339", "2024-05-01T12:34:56.123456789Z") == at(1714566896, 123'456'789));
  CHECK(parse("rfc3339", "2024-05-01T12:34:56.1234567891234z") == at(1714566896, 123'456'789));
  CHECK(parse("rfc3339", "2024-05-01T12:34:56.5+02:00") == at(1714559696, 500'000'000));
  CHECK(parse("rfc3339", "2024-05-01T05:04:56-07:30") == at(1714566896));
  CHECK(parse("rfc3339", "2024-05-01 12:34:56+0200") == at(1714559696));
  CHECK(parse("rfc3339", "2024-05-01t12:34:56z") == at(1714566896));
}

TEST_CASE("rfc3339 without an offset uses the configured timezone") {
  CHECK(parse("rfc3339", "2024-05-01T12:34:56") == at(1714566896));
  CHECK(parse("rfc3339", "2024-05-01T12:34:56", kOct20of2024, 2 * 3600) == at(1714559696));
}

TEST_CASE("rfc3339 rejects garbage, impossible dates and out-of-range times") {
  const std::string no_match = "error: timestamp: does not match the format";
  const std::string range = "error: timestamp: date or time out of range";
  CHECK(parse("rfc3339", "") == "error: timestamp: empty");
  CHECK(parse("rfc3339", "yesterday") == no_match);
  CHECK(parse("rfc3339", "2024-05-01") == no_match);
  CHECK(parse("rfc3339", "2024-05-01T12:34") == no_match);
  CHECK(parse("rfc3339", "2024-05-01T12:34:56.Z") == no_match);
  CHECK(parse("rfc3339", "2024-05-01T12:34:56Zjunk") == no_match);
  CHECK(parse("rfc3339", "2024-05-01T12:34:56+2") == no_match);
  CHECK(parse("rfc3339", "2024-05-01T12:34:56+24:00") == no_match);
  CHECK(parse("rfc3339", "2024-5-01T12:34:56Z") == no_match);
  CHECK(parse("rfc3339", "2024-02-30T00:00:00Z") == range);
  CHECK(parse("rfc3339", "2023-02-29T00:00:00Z") == range);
  CHECK(parse("rfc3339", "2024-02-29T00:00:00Z") == at(1709164800));
  CHECK(parse("rfc3339", "2024-13-01T00:00:00Z") == range);
  CHECK(parse("rfc3339", "2024-05-01T24:00:00Z") == range);
  CHECK(parse("rfc3339", "2024-05-01T23:60:00Z") == range);
  CHECK(parse("rfc3339", "1969-12-31T23:59:59Z") == "error: timestamp: not between 1970 and 2262");
  CHECK(parse("rfc3339", "1970-01-01T00:00:00Z") == "error: timestamp: not between 1970 and 2262");
  CHECK(parse("rfc3339", "9999-12-31T23:59:59Z") == "error: timestamp: not between 1970 and 2262");
  CHECK(parse("rfc3339", "1970-01-01T00:00:00.000000001Z") == "1");
}

TEST_CASE("epoch formats take integers, fractions and numeric strings in their unit") {
  CHECK(parse("epoch_s", "1700000000") == at(1700000000));
  CHECK(parse("epoch_s", "1700000000.25") == at(1700000000, 250'000'000));
  CHECK(parse("epoch_s", "1700000000.123456789999") == at(1700000000, 123'456'789));
  CHECK(parse("epoch_ms", "1700000000123") == at(1700000000, 123'000'000));
  CHECK(parse("epoch_ms", "1700000000123.5") == at(1700000000, 123'500'000));
  CHECK(parse("epoch_us", "1700000000123456") == at(1700000000, 123'456'000));
  CHECK(parse("epoch_ns", "1700000000123456789") == at(1700000000, 123'456'789));
  const std::string nan = "error: timestamp: not a non-negative decimal number";
  CHECK(parse("epoch_ms", "") == "error: timestamp: empty");
  CHECK(parse("epoch_ms", "-1700000000123") == nan);
  CHECK(parse("epoch_ms", "1.7e12") == nan);
  CHECK(parse("epoch_ms", "1700000000123 ") == nan);
  CHECK(parse("epoch_ms", "12ab") == nan);
  CHECK(parse("epoch_s", "1.") == nan);
  CHECK(parse("epoch_s", "0") == "error: timestamp: not between 1970 and 2262");
  CHECK(parse("epoch_s", "99999999999999999999999") ==
        "error: timestamp: not between 1970 and 2262");
  CHECK(parse("epoch_ns", "9223372036854775807") == "9223372036854775807");
  CHECK(parse("epoch_ns", "9223372036854775808") == "error: timestamp: not between 1970 and 2262");
}

TEST_CASE("the nginx access-log time parses with its offset") {
  const char* nginx = "%d/%b/%Y:%H:%M:%S %z";
  CHECK(parse(nginx, "10/Oct/2000:13:55:36 -0700") == at(971211336));
  CHECK(parse(nginx, "10/oct/2000:13:55:36 +0000") == at(971186136));
  CHECK(parse(nginx, "10/Oct/2000:13:55:36") == "error: timestamp: does not match the format");
  CHECK(parse(nginx, "10/Okt/2000:13:55:36 -0700") ==
        "error: timestamp: does not match the format");
  // The offset in the text wins over the configured timezone.
  CHECK(parse(nginx, "10/Oct/2000:13:55:36 -0700", kOct20of2024, 3600) == at(971211336));
}

TEST_CASE("syslog times take the read time's year, with the December/January rollover") {
  const char* syslog = "%b %e %H:%M:%S";
  CHECK(parse(syslog, "Oct 11 22:14:15") == at(1728684855));
  CHECK(parse(syslog, "Mar  1 05:30:00") == at(1709271000));
  CHECK(parse(syslog, "Mar 1 05:30:00") == at(1709271000));
  // Read on 2025-01-01: a December line is from 2024.
  CHECK(parse(syslog, "Dec 31 23:59:59", 1735689610 * kS) == at(1735689599));
  // Read on 2024-12-31 (sender's clock ahead): a January line is from 2025.
  CHECK(parse(syslog, "Jan  1 00:00:01", 1735689540 * kS) == at(1735689601));
  // The year comes from the read time in the configured zone: 2024-12-31T23:59Z is already
  // 2025 at +02:00, so a December line there is from 2024.
  CHECK(parse(syslog, "Dec 31 23:59:59", 1735689540 * kS, 7200) == at(1735689599 - 7200));
  CHECK(parse(syslog, "Feb 29 00:00:00", 1729382400 * kS) == at(1709164800));
  CHECK(parse(syslog, "Feb 29 00:00:00", 1700000000 * kS) ==
        "error: timestamp: date or time out of range");  // 2023 has no Feb 29
  CHECK(parse(syslog, "Oct 11 22:14:15 host") == "error: timestamp: does not match the format");
}

TEST_CASE("patterns: fractions, full names, weekdays, two-digit years, day of year, %T, %%") {
  CHECK(parse("%Y-%m-%d %H:%M:%S,%f", "2024-05-01 12:34:56,123") == at(1714566896, 123'000'000));
  CHECK(parse("%a, %d %b %Y %T %z", "Wed, 01 May 2024 14:34:56 +02:00") == at(1714566896));
  CHECK(parse("%a %b %e %T %Y", "Wednesday September  4 00:00:00 2024") == at(1725408000));
  CHECK(parse("%y%m%d %H%M%S", "240501 123456") == at(1714566896));
  CHECK(parse("%y-%m-%d", "69-01-02") == "error: timestamp: not between 1970 and 2262");
  CHECK(parse("%y-%m-%d", "70-01-02") == at(86400));
  CHECK(parse("%Y.%j", "2024.075") == at(1710460800));
  CHECK(parse("%Y.%j", "2023.366") == "error: timestamp: date or time out of range");
  CHECK(parse("%Y.%j", "2024.000") == "error: timestamp: does not match the format");
  CHECK(parse("100%% %Y-%m-%d", "100% 2024-03-15") == at(1710460800));
  CHECK(parse("%Y-%m-%d", "2024-03-15") == at(1710460800));
  CHECK(parse("%Y-%m-%d", "2024-3-5") == at(1710460800 - 10 * 86400));
  CHECK(parse("[%d/%m/%Y  %H]", "[15/03/2024 \t 01]") == at(1710460800 + 3600));
  CHECK(parse("%Y-%m-%dT%H:%M:%S%z", "2024-03-15T00:00:00Z") == at(1710460800));
  CHECK(parse("%Y-%m-%dT%H:%M:%S%z", "2024-03-15T00:00:00+01") == at(1710460800 - 3600));
}

TEST_CASE("bad formats and timezones are config errors that say what is wrong") {
  CHECK(compile_error("rfc3339") == "ok");
  CHECK(compile_error("iso8601").find("unknown format 'iso8601'") == 0);
  CHECK(compile_error("%Y-%m-%d %Q") ==
        "format: unknown directive '%Q' at offset 9 (known: %Y %y %m %b %d %e %j %H %M %S %T "
        "%f %z %a %%)");
  CHECK(compile_error("%Y-%m-%d %") == "format ends with a lone '%' (write %% for a literal '%')");
  CHECK(compile_error("%Y-%m-%d %H %H") == "format: '%H' appears more than once");
  CHECK(compile_error("%Y-%m-%d %T %S") == "format: '%S' appears more than once");
  CHECK(compile_error("%H:%M:%S").find("needs a month") != std::string::npos);
  CHECK(compile_error("%Y-%m %H").find("needs a month") != std::string::npos);
  CHECK(compile_error("%j %H") == "format: %j needs a year (%Y or %y)");
  CHECK(compile_error("%Y %j %d") == "format: %j cannot be combined with a month or a day");
  CHECK(compile_error("%Y %y %m %d") == "format: use either %Y or %y, not both");
  CHECK(parse_utc_offset("UTC").value() == 0);
  CHECK(parse_utc_offset("+05:30").value() == 19800);
  CHECK(parse_utc_offset("-0700").value() == -25200);
  CHECK_FALSE(parse_utc_offset("Europe/Paris"));
  CHECK_FALSE(parse_utc_offset("+25:00"));
  CHECK_FALSE(parse_utc_offset(""));
  CHECK(parse_utc_offset("CET").message() ==
        "'CET' is not UTC or a fixed offset such as +02:00 or -07:00");
}

TEST_CASE("days_from_civil agrees with known dates") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(days_from_civil(1969, 12, 31) == -1);
}
