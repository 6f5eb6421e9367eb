// MultilineOptions on its own: the `multiline:` value bound from YAML (a mode's short form or a
// map), compiled in code, formatted for the reference, and its limits.
#include "plugins/inputs/tail/multiline_options.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace logagent::plugins::tail {
namespace {

struct Bound {
  MultilineOptions options;
  Diagnostics diag;
  bool ok = false;
};

Bound bind(const std::string& yaml) {
  Bound b;
  auto node = ConfigNode::parse(yaml, std::make_shared<ConfigFile>(ConfigFile{"test.yaml"}), b.diag,
                                "input");
  REQUIRE(node.has_value());
  b.ok = read_value(node->child("multiline"), b.options, b.diag);
  return b;
}

}  // namespace

TEST_CASE("multiline options: a bare mode name is short for {mode: NAME}") {
  const Bound b = bind("multiline: go\n");
  REQUIRE(b.ok);
  REQUIRE(b.options.mode.has_value());
  CHECK(*b.options.mode == MultilineBuiltin::kGo);
  CHECK(b.options.enabled());
  CHECK(format_value(b.options) == "{mode: go}");
}

TEST_CASE("multiline options: a map binds its limits, and limits() hands them to the joiner") {
  const Bound b =
      bind("multiline: {start: '^x', max_lines: 7, max_bytes: 2KiB, flush_after: 3s}\n");
  REQUIRE(b.ok);
  CHECK(b.options.limits().max_lines == 7);
  CHECK(b.options.limits().max_bytes == 2048);
  CHECK(b.options.flush_after.value == std::chrono::seconds(3));
  CHECK(format_value(b.options) == "{start: '^x'}");
  const Bound c = bind("multiline: {continue: '^\\s'}\n");
  REQUIRE(c.ok);
  CHECK(format_value(c.options) == "{continue: '^\\s'}");
}

TEST_CASE("multiline options: errors point at the value that is wrong") {
  const Bound bad_mode = bind("multiline: {mode: cobol}\n");
  CHECK_FALSE(bad_mode.ok);
  REQUIRE(bad_mode.diag.errors().size() == 1);
  CHECK(bad_mode.diag.errors()[0].find("test.yaml:1:19: input.multiline.mode:") == 0);
  const Bound zero = bind("multiline: {mode: java, max_bytes: 0}\n");
  CHECK_FALSE(zero.ok);
  REQUIRE(zero.diag.errors().size() == 1);
  CHECK(zero.diag.errors()[0].find("'max_bytes' must be positive") != std::string::npos);
  const Bound scalar_list = bind("multiline: 3\n");
  CHECK_FALSE(scalar_list.ok);
}

TEST_CASE("multiline options: left out, nothing is joined; built in code, compile() makes rules") {
  MultilineOptions o;
  CHECK_FALSE(o.configured());
  CHECK_FALSE(o.enabled());
  CHECK(format_value(o) == "off");
  o.continue_pattern = "^\\s";
  CHECK(o.configured());
  CHECK_FALSE(o.enabled());  // not compiled yet
  REQUIRE(o.compile().is_ok());
  CHECK(o.enabled());
  MultilineOptions bad;
  bad.start = "(";
  CHECK_FALSE(bad.compile().is_ok());
  CHECK_FALSE(bad.enabled());
}

TEST_CASE("multiline options: the schema documents every key") {
  const auto docs = MultilineOptions::schema().docs();
  CHECK(docs.size() == 6);
  for (const FieldDoc& d : docs) CHECK_FALSE(d.doc.empty());
}

}  // namespace logagent::plugins::tail
