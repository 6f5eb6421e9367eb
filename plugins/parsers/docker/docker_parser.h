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
// Split lines: Docker splits lines over 16 KiB into several records, all but the last without the
// trailing "\n". The records of a stream up to the one ending in "\n" become one event, within a
// batch and across the batches of one file (plugins/common/partial_joiner.h: the joined message is
// copied into the batch's arena; the fields are those of the first record; a line still open at a
// batch's end is carried to the file's next batch, and that batch's acknowledgement holds the
// checkpoint before it). Option `max_bytes` (1 MiB): a line reaching it is emitted flagged
// truncated and the rest follows as another event; a line still open when its file ends (or a
// last record a container wrote without "\n") is emitted with the field `_partial: true`.
// Records whose stream is neither stdout nor stderr are never joined.
//
// Threads: a parser (and the stage made of it) serves one lane.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "agent/api/plugin.h"
#include "plugins/common/parser_stage.h"
#include "plugins/common/partial_joiner.h"
#include "plugins/parsers/docker/docker_options.h"

namespace logagent::plugins::docker {

class DockerParser final : public FieldParser {
 public:
  DockerParser();
  // Prepares for a batch of `events` events (the tags of the joining pass, PartialTag bits).
  void begin_batch(size_t events) { tags_.assign(events, kPartialNone); }
  const std::vector<uint8_t>& tags() const { return tags_; }
  const char* parse(std::string_view text, FieldWriter& out) override;

 private:
  std::unique_ptr<FieldParser> json_;
  std::vector<Field> scratch_;
  std::vector<uint8_t> tags_;
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
