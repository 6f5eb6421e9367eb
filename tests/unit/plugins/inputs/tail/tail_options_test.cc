#include "plugins/inputs/tail/tail_options.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

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
  ConfigNode node(YAML::Load(yaml), std::make_shared<ConfigFile>(ConfigFile{"test.yaml"}),
                  "pipelines[0].input");
  b.ok = TailOptions::schema().bind(node, b.options, b.diag, {"type"});
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
  CHECK(o.read_from == "head");
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

TEST_CASE("the tail schema documents every key") {
  const auto docs = TailOptions::schema().docs();
  CHECK(docs.size() == 10);
  for (const FieldDoc& d : docs) CHECK_FALSE(d.doc.empty());
}

}  // namespace logagent::plugins::tail
