// The text forms of option values (agent/api/options_text.cc): ${VAR} expansion, sizes,
// durations, suggestions, and format_value as their inverse. options_test.cc has the cases of
// each parser; these are the properties across them.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "agent/api/options.h"

using namespace logagent;
using std::chrono::milliseconds;

TEST_CASE("every size format_value writes parses back to the same size") {
  std::vector<uint64_t> sizes = {0,          1,          512,        1000,
                                 1023,       1024,       1536,       4096,
                                 65536,      1ULL << 20, 3ULL << 20, (1ULL << 20) + 1,
                                 1ULL << 30, 5ULL << 40};
  for (uint64_t k = 1; k < (1ULL << 44); k = k * 7 + 3) sizes.push_back(k);
  for (uint64_t bytes : sizes) {
    const std::string text = format_value(ByteSize{bytes});
    CAPTURE(text);
    CHECK(parse_byte_size(text) == ByteSize{bytes});
  }
}

TEST_CASE("every duration format_value writes parses back to the same duration") {
  std::vector<int64_t> values = {0, 1, 999, 1000, 1500, 60'000, 90'000, 3'600'000, 86'400'000};
  for (int64_t ms = 1; ms < 1'000'000'000'000; ms = ms * 13 + 7) values.push_back(ms);
  for (int64_t ms : values) {
    const std::string text = format_value(Duration{milliseconds(ms)});
    CAPTURE(text);
    CHECK(parse_duration(text) == Duration{milliseconds(ms)});
  }
}

TEST_CASE("lists and maps are written as their YAML flow forms") {
  CHECK(format_value(std::vector<std::string>{}) == "[]");
  CHECK(format_value(std::vector<std::string>{"a", "b"}) == R"(["a", "b"])");
  CHECK(format_value(std::map<std::string, std::string>{}) == "{}");
  CHECK(format_value(std::map<std::string, std::string>{{"k", "v"}, {"a", "b"}}) ==
        R"({a: "b", k: "v"})");
  CHECK(format_value(true) == "true");
  CHECK(format_value(int64_t{-3}) == "-3");
}

TEST_CASE("a suggestion is the closest candidate, the first of equals, never a rewrite") {
  CHECK(did_you_mean("lisen", {"listen", "linger"}) == "listen");
  CHECK(did_you_mean("ab", {"ax", "ay"}) == "ax");  // equally close: the first
  CHECK(did_you_mean("a", {"b"}) == "");            // distance 1 is the whole word
  CHECK(did_you_mean("paths", {}) == "");
  CHECK(did_you_mean("checkpoint_intervall", {"checkpoint_interval"}) == "checkpoint_interval");
}

TEST_CASE("expansion needs no error text, and a failed one gives none back") {
  ::unsetenv("LOGAGENT_TEST_TEXT_UNSET");
  CHECK_FALSE(expand_env("${LOGAGENT_TEST_TEXT_UNSET}", nullptr));
  CHECK_FALSE(expand_env("${unclosed", nullptr));
  CHECK(expand_env("plain $$ text", nullptr) == "plain $ text");
  CHECK(expand_env("", nullptr) == "");
}
