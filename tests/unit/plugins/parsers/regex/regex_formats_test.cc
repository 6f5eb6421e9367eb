#include "plugins/parsers/regex/regex_formats.h"

#include <doctest/doctest.h>
#include <re2/re2.h>

#include <set>
#include <string>

using logagent::plugins::regex::find_regex_format;
using logagent::plugins::regex::regex_formats;
using logagent::plugins::regex::RegexFormat;

namespace {

std::set<std::string> group_names(std::string_view pattern) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  const RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options);
  REQUIRE_MESSAGE(re.ok(), re.error());
  std::set<std::string> out;
  for (const auto& [name, index] : re.NamedCapturingGroups()) out.insert(name);
  return out;
}

}  // namespace

TEST_CASE("regex formats: every built-in pattern compiles and has named groups") {
  REQUIRE_FALSE(regex_formats().empty());
  std::set<std::string_view> names;
  for (const RegexFormat& f : regex_formats()) {
    CAPTURE(f.name);
    CHECK(names.insert(f.name).second);  // no name twice
    CHECK_FALSE(group_names(f.pattern).empty());
  }
}

TEST_CASE("regex formats: the names the reference documents are all there") {
  for (const char* name : {"nginx", "apache", "combined", "syslog_rfc3164", "syslog_rfc5424"}) {
    CAPTURE(name);
    CHECK_FALSE(find_regex_format(name).empty());
  }
}

TEST_CASE("regex formats: nginx, apache and combined are one pattern") {
  CHECK(find_regex_format("nginx") == find_regex_format("apache"));
  CHECK(find_regex_format("nginx") == find_regex_format("combined"));
}

TEST_CASE("regex formats: the fields of each format are the documented ones") {
  const std::set<std::string> combined = {"client", "ident",   "user",      "time",
                                          "method", "path",    "protocol",  "status",
                                          "bytes",  "referer", "user_agent"};
  const std::set<std::string> nginx = group_names(find_regex_format("nginx"));
  for (const std::string& f : combined) {
    CAPTURE(f);
    CHECK(nginx.count(f) == 1);
  }
  CHECK(nginx.count("request") == 1);  // a request line that is not METHOD path [protocol]
  CHECK(group_names(find_regex_format("syslog_rfc3164")) ==
        std::set<std::string>{"pri", "time", "host", "ident", "pid", "msg"});
  CHECK(group_names(find_regex_format("syslog_rfc5424")) ==
        std::set<std::string>{"pri", "version", "time", "host", "app_name", "procid", "msgid",
                              "structured_data", "msg"});
}

TEST_CASE("regex formats: an unknown name or a different case finds nothing") {
  CHECK(find_regex_format("").empty());
  CHECK(find_regex_format("NGINX").empty());
  CHECK(find_regex_format("nginx ").empty());
  CHECK(find_regex_format("syslog").empty());
}
