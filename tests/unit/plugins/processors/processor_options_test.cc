// Options of the processor stages, bound through the real registry and config loader.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "agent/config/config.h"
#include "plugins/builtin_plugins.h"

using namespace logagent;

namespace {

std::vector<std::string> stage_errors(const std::string& stages) {
  Registry registry;
  plugins::register_builtin_plugins(registry);
  Diagnostics diag;
  const std::string text =
      "pipelines:\n"
      "  - name: app\n"
      "    input: {type: tail, paths: [\"/tmp/x.log\"]}\n"
      "    stages:\n" +
      stages + "    sinks: [{type: \"null\"}]\n";
  load_config_text(text, "test.yaml", registry, diag);
  return diag.errors();
}

bool has(const std::string& error, const std::string& text) {
  return error.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("processor stages accept their documented options") {
  const auto errors = stage_errors(
      "      - {type: add_fields, fields: {env: prod, src: \"{file}:{offset}\"}}\n"
      "      - {type: remove_fields, fields: [password]}\n"
      "      - {type: rename_fields, fields: {msg: text}}\n"
      "      - {type: drop, field: level, equals: debug}\n"
      "      - {type: keep, matches: 'ERROR|WARN'}\n"
      "      - {type: drop, field: _error, exists: true}\n"
      "      - {type: sample, rate: 5, by: trace}\n"
      "      - {type: throttle, events_per_second: 10, by: service, max_keys: 100}\n");
  CHECK(errors.empty());
  for (const auto& e : errors) MESSAGE(e);
}

TEST_CASE("a bad regular expression is a config error at the stage's position") {
  const auto errors = stage_errors(
      "      - {type: json}\n"
      "      - {type: drop, matches: 'a(b'}\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].starts_with("test.yaml:6:"));
  CHECK(has(errors[0], "invalid regular expression 'a(b'"));
}

TEST_CASE("drop and keep need exactly one condition") {
  const auto errors = stage_errors(
      "      - {type: drop, field: level}\n"
      "      - {type: keep, equals: a, exists: true}\n"
      "      - {type: keep, exists: maybe}\n");
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].starts_with("test.yaml:5:"));
  CHECK(has(errors[0], "exactly one of 'equals', 'matches' or 'exists' is required"));
  CHECK(errors[1].starts_with("test.yaml:6:"));
  CHECK(errors[2].starts_with("test.yaml:7:"));
  CHECK(has(errors[2], "expected true or false, got 'maybe'"));
}

TEST_CASE("bad field-editing, sample and throttle options are errors with positions") {
  const auto errors = stage_errors(
      "      - {type: add_fields}\n"
      "      - {type: add_fields, fields: {message: x}}\n"
      "      - {type: remove_fields, fields: [message]}\n"
      "      - {type: rename_fields, fields: {a: message}}\n"
      "      - {type: sample, rate: 0}\n"
      "      - {type: throttle, events_per_second: 0}\n"
      "      - {type: throttle, events_per_sec: 5}\n");
  REQUIRE(errors.size() == 7);
  CHECK(has(errors[0], "missing required option 'fields'"));
  CHECK(has(errors[1], "'message' cannot be set by add_fields"));
  CHECK(has(errors[2], "'message' cannot be removed"));
  CHECK(has(errors[3], "'message' can be neither renamed nor a new name"));
  CHECK(has(errors[4], "rate must be at least 1"));
  CHECK(has(errors[5], "events_per_second must be at least 1"));
  CHECK(has(errors[6], "did you mean 'events_per_second'?"));
  for (size_t i = 0; i < errors.size(); ++i) {
    CHECK(errors[i].starts_with("test.yaml:" + std::to_string(5 + i) + ":"));
  }
}
