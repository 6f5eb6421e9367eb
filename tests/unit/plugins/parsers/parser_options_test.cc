// Options of the parser stages, bound through the real registry and config loader.
#include <doctest/doctest.h>

#include <string>

#include "agent/config/config.h"
#include "plugins/builtin_plugins.h"

using namespace logagent;

namespace {

Registry builtin_registry() {
  Registry r;
  plugins::register_builtin_plugins(r);
  return r;
}

// Every error of a pipeline whose stages are `stages` (YAML flow list).
std::vector<std::string> stage_errors(const std::string& stages) {
  const Registry registry = builtin_registry();
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

}  // namespace

TEST_CASE("parser stages accept their documented options") {
  CHECK(stage_errors("      - {type: json}\n"
                     "      - {type: logfmt, field: msg, on_error: drop, target: \"\"}\n")
            .empty());
}

TEST_CASE("bad parser options are errors with their positions") {
  const auto errors = stage_errors(
      "      - {type: json, on_error: ignore}\n"
      "      - {type: logfmt, target: parsed}\n"
      "      - {type: json, feild: msg}\n"
      "      - {type: logfmt, field: \"\"}\n");
  REQUIRE(errors.size() == 4);
  CHECK(errors[0].starts_with("test.yaml:5:"));
  CHECK(errors[0].find("'ignore' is not one of: keep, drop") != std::string::npos);
  CHECK(errors[1].starts_with("test.yaml:6:"));
  CHECK(errors[1].find("nesting parsed fields under a key is not supported yet") !=
        std::string::npos);
  CHECK(errors[2].starts_with("test.yaml:7:"));
  CHECK(errors[2].find("unknown option 'feild'; did you mean 'field'?") != std::string::npos);
  CHECK(errors[3].starts_with("test.yaml:8:"));
  CHECK(errors[3].find("field must not be empty") != std::string::npos);
}
