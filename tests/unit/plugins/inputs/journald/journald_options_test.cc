// The journald input's options: defaults, what a match must look like, and the source's name.
#include "plugins/inputs/journald/journald_options.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace logagent::plugins::journald {
namespace {

struct Bound {
  JournaldOptions options;
  Diagnostics diag;
  bool ok = false;
};

Bound bind(const std::string& yaml) {
  Bound b;
  auto node = ConfigNode::parse(yaml, std::make_shared<ConfigFile>(ConfigFile{"test.yaml"}), b.diag,
                                "pipelines[0].input");
  REQUIRE(node.has_value());
  b.ok = JournaldOptions::schema().bind(*node, b.options, b.diag, {"type"});
  return b;
}

bool has_error(const Bound& b, const std::string& part) {
  for (const std::string& e : b.diag.errors()) {
    if (e.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("journald options default to the system journal, every priority, from the head") {
  const Bound b = bind("type: journald\n");
  REQUIRE(b.ok);
  CHECK(b.options.directory.empty());
  CHECK(b.options.files.empty());
  CHECK(b.options.priority == Priority::kAll);
  CHECK(b.options.read_from == ReadFrom::kHead);
  CHECK(b.options.source_name() == "journal");
}

TEST_CASE("journald options bind a directory, matches, a priority and read_from") {
  const Bound b = bind(
      "type: journald\ndirectory: /var/log/journal\nmatches: [\"_SYSTEMD_UNIT=nginx.service\"]\n"
      "priority: err\nread_from: tail\n");
  REQUIRE(b.ok);
  CHECK(b.options.matches == std::vector<std::string>{"_SYSTEMD_UNIT=nginx.service"});
  CHECK(b.options.priority == Priority::kErr);
  CHECK(b.options.read_from == ReadFrom::kTail);
  CHECK(b.options.source_name() == "journal:/var/log/journal");
}

TEST_CASE("a match that is not FIELD=value is refused, naming it") {
  const Bound b = bind("type: journald\nmatches: [\"unit=nginx\"]\n");
  CHECK_FALSE(b.ok);
  CHECK(has_error(b, "'unit=nginx' is not FIELD=value"));
  CHECK(valid_match("_PID=1"));
  CHECK(valid_match("MESSAGE="));
  CHECK_FALSE(valid_match("=x"));
  CHECK_FALSE(valid_match("NOEQUALS"));
  CHECK_FALSE(valid_match("1ABC=x"));
}

TEST_CASE("a directory and files together are refused") {
  const Bound b = bind("type: journald\ndirectory: /a\nfiles: [/b.journal]\n");
  CHECK_FALSE(b.ok);
  CHECK(has_error(b, "not both"));
}

TEST_CASE("journal files name the source by their paths") {
  JournaldOptions o;
  o.files = {"/a.journal", "/b.journal"};
  CHECK(o.source_name() == "journal:/a.journal,/b.journal");
}

}  // namespace logagent::plugins::journald
