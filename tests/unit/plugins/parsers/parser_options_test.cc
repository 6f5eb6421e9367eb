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
                     "      - {type: logfmt, field: msg, on_error: drop, target: \"\"}\n"
                     "      - {type: json, target: parsed}\n"
                     "      - {type: cri, target: k8s}\n")
            .empty());
}

TEST_CASE("bad parser options are errors with their positions") {
  const auto errors = stage_errors(
      "      - {type: json, on_error: ignore}\n"
      "      - {type: logfmt, target: message}\n"
      "      - {type: json, feild: msg}\n"
      "      - {type: logfmt, field: \"\"}\n");
  REQUIRE(errors.size() == 4);
  CHECK(errors[0].starts_with("test.yaml:5:"));
  CHECK(errors[0].find("'ignore' is not one of: keep, drop") != std::string::npos);
  CHECK(errors[1].starts_with("test.yaml:6:"));
  CHECK(errors[1].find("target 'message' is taken") != std::string::npos);
  CHECK(errors[2].starts_with("test.yaml:7:"));
  CHECK(errors[2].find("unknown option 'feild'; did you mean 'field'?") != std::string::npos);
  CHECK(errors[3].starts_with("test.yaml:8:"));
  CHECK(errors[3].find("field must not be empty") != std::string::npos);
}

TEST_CASE("regex, cri and docker stages accept their documented options") {
  CHECK(stage_errors("      - {type: regex, pattern: '^(?P<level>\\w+) (?P<msg>.*)$'}\n"
                     "      - {type: regex, format: nginx, on_error: drop}\n"
                     "      - {type: regex, format: syslog_rfc5424, field: msg}\n"
                     "      - {type: cri}\n"
                     "      - {type: docker, on_error: drop}\n")
            .empty());
}

TEST_CASE("a bad regex pattern is a config error with its position and RE2's reason") {
  const auto errors = stage_errors(
      "      - {type: regex, pattern: 'a(?P<x>b'}\n"
      "      - {type: regex, pattern: 'x[z-a]'}\n"
      "      - {type: regex, pattern: '(a|b)+'}\n"
      "      - {type: regex}\n"
      "      - {type: regex, pattern: '(?P<a>x)', format: nginx}\n"
      "      - {type: regex, format: iis}\n");
  REQUIRE(errors.size() == 6);
  for (size_t i = 0; i < errors.size(); ++i) {
    CAPTURE(errors[i]);
    CHECK(errors[i].starts_with("test.yaml:" + std::to_string(5 + i) + ":"));
  }
  CHECK(errors[0].find("pattern: missing ): a(?P<x>b (at offset 0)") != std::string::npos);
  CHECK(errors[1].find("pattern: invalid character class range: z-a (at offset 2)") !=
        std::string::npos);
  CHECK(errors[2].find("has no named group") != std::string::npos);
  CHECK(errors[3].find("set exactly one of pattern and format") != std::string::npos);
  CHECK(errors[4].find("set exactly one of pattern and format") != std::string::npos);
  CHECK(errors[5].find("format 'iis' is not one of: nginx, apache, combined, syslog_rfc3164, "
                       "syslog_rfc5424") != std::string::npos);
}

TEST_CASE("cri and docker share the common parser option checks") {
  const auto errors = stage_errors(
      "      - {type: cri, target: _error}\n"
      "      - {type: docker, on_error: ignore}\n"
      "      - {type: cri, pattern: x}\n");
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].starts_with("test.yaml:5:"));
  CHECK(errors[0].find("target '_error' is taken") != std::string::npos);
  CHECK(errors[1].starts_with("test.yaml:6:"));
  CHECK(errors[1].find("'ignore' is not one of: keep, drop") != std::string::npos);
  CHECK(errors[2].starts_with("test.yaml:7:"));
  CHECK(errors[2].find("unknown option 'pattern'") != std::string::npos);
}
