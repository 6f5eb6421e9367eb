// The "docker" parser stage: lines of Docker's json-file logging driver
// (/var/lib/docker/containers/ID/ID-json.log),
//   {"log":"GET / 200\n","stream":"stdout","time":"2024-05-01T12:34:56.123456789Z"}
//
// The event's message becomes the unescaped `log` without its trailing "\n" (a view of the line
// when it has no escapes, else of the batch's arena); every other member becomes a field as the
// json parser makes it (`stream`, `time`, and e.g. `attrs` as raw JSON when --log-opt labels are
// set). A line that is not a valid JSON object (see plugins/common/json_object.h), or has no string
// `log`, is a parse error ("json: ..." or "docker: ...").
//
// Built on the json parser (one reused instance per stage) writing into a scratch vector that is
// reused across events, so nothing is allocated per event once warm.
//
// Gap: Docker splits lines over 16 KiB into several objects, all but the last without the
// trailing "\n"; they are not joined (each becomes its own event).
//
// Threads: a parser (and the stage made of it) serves one lane.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "agent/api/plugin.h"
#include "plugins/common/parser_stage.h"
#include "plugins/parsers/docker/docker_options.h"

namespace logagent::plugins::docker {

class DockerParser final : public FieldParser {
 public:
  DockerParser();
  const char* parse(std::string_view text, FieldWriter& out) override;

 private:
  std::unique_ptr<FieldParser> json_;
  std::vector<Field> scratch_;
};

struct DockerStage {
  static constexpr std::string_view kName = "docker";
  using Options = DockerOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::docker

namespace logagent {
template <>
struct PluginMetrics<plugins::docker::DockerStage> {
  static std::vector<MetricDef> defs() { return {kParserEvents}; }
};
}  // namespace logagent
