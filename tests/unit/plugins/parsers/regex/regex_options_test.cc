#include "plugins/parsers/regex/regex_options.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>

using logagent::plugins::regex::compile_pattern;
using logagent::plugins::regex::RegexOptions;

namespace {

RegexOptions with(std::string pattern, std::string format = "") {
  RegexOptions o;
  o.pattern = std::move(pattern);
  o.format = std::move(format);
  return o;
}

std::string error_of(const RegexOptions& o) {
  auto re = compile_pattern(o);
  REQUIRE_FALSE(re.is_ok());
  return re.message();
}

}  // namespace

TEST_CASE("regex options: exactly one of pattern and format") {
  CHECK(error_of(with("", "")) == "set exactly one of pattern and format");
  CHECK(error_of(with("(?P<a>x)", "nginx")) == "set exactly one of pattern and format");
  CHECK(compile_pattern(with("(?P<a>x)")).is_ok());
  CHECK(compile_pattern(with("", "nginx")).is_ok());
}

TEST_CASE("regex options: an unknown format names the ones there are") {
  const std::string e = error_of(with("", "nginz"));
  CHECK(e.find("format 'nginz' is not one of: ") == 0);
  CHECK(e.find("nginx") != std::string::npos);
  CHECK(e.find("syslog_rfc5424") != std::string::npos);
}

TEST_CASE("regex options: a pattern that does not compile says why and where") {
  const std::string e = error_of(with("(?P<a>x)(?P<b>[a-"));
  CHECK(e.find("pattern: ") == 0);
  CHECK(e.find("(at offset ") != std::string::npos);
}

TEST_CASE("regex options: a pattern without a named group is refused") {
  CHECK(error_of(with("a(b)c")) ==
        "pattern 'a(b)c' has no named group (?P<name>...): it would add no field");
}

TEST_CASE("regex options: a user pattern is UTF-8, a built-in format Latin-1") {
  auto user = compile_pattern(with("(?P<a>.)"));
  REQUIRE(user.is_ok());
  CHECK(user.value()->options().encoding() == RE2::Options::EncodingUTF8);
  auto builtin = compile_pattern(with("", "syslog_rfc3164"));
  REQUIRE(builtin.is_ok());
  CHECK(builtin.value()->options().encoding() == RE2::Options::EncodingLatin1);
}

TEST_CASE("regex options: the schema binds them and reports a bad pattern at validation") {
  auto bind = [](const std::string& yaml) {
    RegexOptions o;
    logagent::Diagnostics diag;
    auto node = logagent::ConfigNode::parse(
        yaml, std::make_shared<const logagent::ConfigFile>(logagent::ConfigFile{"f.yaml"}), diag,
        "stages[0]");
    REQUIRE(node.has_value());
    RegexOptions::schema().bind(*node, o, diag, {"type"});
    return std::make_pair(o, diag.errors());
  };
  auto [ok, none] = bind("format: syslog_rfc5424\non_error: drop\n");
  CHECK(none.empty());
  CHECK(ok.format == "syslog_rfc5424");
  auto [bad, errors] = bind("pattern: \"(?P<a>\"\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("f.yaml:1:1: ") == 0);
  CHECK(errors[0].find("pattern: missing )") != std::string::npos);
  CHECK(bind("pattern: x\nformat: nginx\n").second.size() == 1);
}
