#include "plugins/inputs/tail/tail_options.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace logagent::plugins::tail {
namespace {

struct Bound {
  TailOptions options;
  Diagnostics diag;
  bool ok = false;
};

Bound bind(const std::string& yaml) {
  Bound b;
  auto node = ConfigNode::parse(yaml, std::make_shared<ConfigFile>(ConfigFile{"test.yaml"}), b.diag,
                                "pipelines[0].input");
  REQUIRE(node.has_value());
  b.ok = TailOptions::schema().bind(*node, b.options, b.diag, {"type"});
  return b;
}

bool has_error(const Bound& b, const std::string& part) {
  for (const std::string& e : b.diag.errors()) {
    if (e.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("tail options have documented defaults and only paths is required") {
  const Bound b = bind("type: tail\npaths: [\"/var/log/*.log\"]\n");
  REQUIRE(b.ok);
  const TailOptions& o = b.options;
  CHECK(o.paths == std::vector<std::string>{"/var/log/*.log"});
  CHECK(o.read_from == ReadFrom::kHead);
  CHECK(o.scan_interval.value == std::chrono::seconds(1));
  CHECK(o.poll_interval.value == std::chrono::milliseconds(250));
  CHECK(o.max_line_bytes.bytes == 1024 * 1024);
  CHECK(o.max_open_files == 1024);
  CHECK(o.idle_close_after.value == std::chrono::seconds(30));
  CHECK(o.deleted_max_pinned.bytes == 1024ULL * 1024 * 1024);
  CHECK(o.deleted_max_age.value == std::chrono::minutes(5));
}

TEST_CASE("tail options bind units and lists") {
  const Bound b = bind(
      "paths: [a.log, /b/*.log]\nexclude: ['*.gz']\nread_from: tail\nmax_line_bytes: 64KiB\n"
      "scan_interval: 5s\ndeleted_max_age: 2m\n");
  REQUIRE(b.ok);
  CHECK(b.options.exclude == std::vector<std::string>{"*.gz"});
  CHECK(b.options.from_tail());
  CHECK(b.options.max_line_bytes.bytes == 64 * 1024);
  CHECK(b.options.scan_interval.value == std::chrono::seconds(5));
}

TEST_CASE("tail options reject a missing paths, empty paths and tiny max_line_bytes") {
  CHECK(has_error(bind("read_from: head\n"), "paths"));
  CHECK(has_error(bind("paths: []\n"), "paths"));
  CHECK(has_error(bind("paths: [a]\nmax_line_bytes: 512\n"), "max_line_bytes"));
  CHECK(has_error(bind("paths: [a]\nread_from: middle\n"), "head, tail"));
  CHECK(has_error(bind("paths: [a]\npath: [b]\n"), "path"));
}

TEST_CASE("multiline is off unless configured; a mode binds with documented limits") {
  const Bound off = bind("paths: [a]\n");
  REQUIRE(off.ok);
  CHECK_FALSE(off.options.multiline.enabled());
  const Bound b = bind("paths: [a]\nmultiline: {mode: java}\n");
  REQUIRE(b.ok);
  const MultilineOptions& m = b.options.multiline;
  REQUIRE(m.enabled());
  CHECK(m.rules->mode() == MultilineMode::kJava);
  CHECK(m.max_lines == 500);
  CHECK(m.max_bytes.bytes == 1024 * 1024);
  CHECK(m.flush_after.value == std::chrono::seconds(1));
}

TEST_CASE("multiline binds a mode by name, a start or a continue pattern, and its limits") {
  const Bound py = bind("paths: [a]\nmultiline: python\n");
  REQUIRE(py.ok);
  CHECK(py.options.multiline.rules->mode() == MultilineMode::kPython);
  const Bound st = bind(
      "paths: [a]\nmultiline:\n  start: '^\\d{4}-\\d\\d-\\d\\d'\n  max_lines: 50\n"
      "  max_bytes: 64KiB\n  flush_after: 250ms\n");
  REQUIRE(st.ok);
  const MultilineOptions& m = st.options.multiline;
  CHECK(m.start == "^\\d{4}-\\d\\d-\\d\\d");
  CHECK(m.rules->mode() == MultilineMode::kStart);
  CHECK(m.max_lines == 50);
  CHECK(m.max_bytes.bytes == 64 * 1024);
  CHECK(m.flush_after.value == std::chrono::milliseconds(250));
  const Bound co = bind("paths: [a]\nmultiline: {continue: '^\\s'}\n");
  REQUIRE(co.ok);
  CHECK(co.options.multiline.rules->mode() == MultilineMode::kContinue);
}

TEST_CASE("a bad multiline pattern is an error at the pattern's own line and column") {
  const Bound b = bind("paths: [a]\nmultiline:\n  start: '^(\\d+'\n");
  REQUIRE_FALSE(b.ok);
  REQUIRE(b.diag.errors().size() == 1);
  CHECK(b.diag.errors()[0].find("test.yaml:3:10: pipelines[0].input.multiline.start: invalid "
                                "start pattern: missing ): ^(\\d+") == 0);
  const Bound flow = bind("paths: [a]\nmultiline: {continue: 'a**'}\n");
  REQUIRE_FALSE(flow.ok);
  CHECK(flow.diag.errors()[0] ==
        "test.yaml:2:23: pipelines[0].input.multiline.continue: invalid continue pattern: bad "
        "repetition operator: ** (at offset 1)");
}

TEST_CASE("multiline rejects conflicting, missing, unknown and out-of-range settings") {
  CHECK(has_error(bind("paths: [a]\nmultiline: {mode: java, start: '^a'}\n"),
                  "test.yaml:2:12: pipelines[0].input.multiline: set exactly one of mode, "
                  "start and continue"));
  CHECK(has_error(bind("paths: [a]\nmultiline: {}\n"), "set one of mode, start and continue"));
  CHECK(has_error(bind("paths: [a]\nmultiline: {mode: ruby}\n"),
                  "multiline.mode: 'ruby' is not one of: java, python, go"));
  CHECK(has_error(bind("paths: [a]\nmultiline: ruby\n"),
                  "mode 'ruby' is not one of: java, python, go"));
  CHECK(has_error(bind("paths: [a]\nmultiline: {mode: go, max_line: 3}\n"),
                  "did you mean 'max_lines'"));
  CHECK(has_error(bind("paths: [a]\nmultiline: {mode: go, max_lines: 1}\n"),
                  "'max_lines' must be at least 2"));
  CHECK(has_error(bind("paths: [a]\nmultiline: {mode: go, flush_after: 0s}\n"),
                  "'flush_after' must be positive"));
  CHECK(has_error(bind("paths: [a]\nmultiline: {mode: go, flush_after: 5}\n"), "has no unit"));
  CHECK(has_error(bind("paths: [a]\nmultiline: [java]\n"), "expected a map"));
}

TEST_CASE("the tail schema documents every key") {
  const auto docs = TailOptions::schema().docs();
  CHECK(docs.size() == 13);  // 12 before `kubernetes`
  for (const FieldDoc& d : docs) CHECK_FALSE(d.doc.empty());
}

}  // namespace logagent::plugins::tail
