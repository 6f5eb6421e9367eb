#include "plugins/parsers/docker/docker_parser.h"

#include <string>
#include <utility>

#include "agent/api/batch.h"

#include "plugins/common/json_object.h"
#include "plugins/common/partial_parser_stage.h"

namespace logagent::plugins::docker {
namespace {

constexpr std::string_view kLogStart = R"({"log":")";

// Docker writes `log` first and its only escape is usually the final "\n": then the message can
// view the line instead of the unescaped copy. (Without '"' or '\\' in the message, the raw
// string body is exactly the message followed by \n.)
std::string_view view_of_line(std::string_view text, std::string_view message) {
  if (!text.starts_with(kLogStart)) return message;
  if (message.find_first_of("\"\\") != std::string_view::npos) return message;
  const std::string_view rest = text.substr(kLogStart.size());
  if (rest.size() < message.size() + 3 || !rest.starts_with(message) ||
      rest.substr(message.size(), 3) != R"(\n")") {
    return message;
  }
  return rest.substr(0, message.size());
}

}  // namespace

DockerParser::DockerParser() : json_(json::make_json_parser()) {}

const char* DockerParser::parse(std::string_view text, FieldWriter& out) {
  scratch_.clear();
  FieldWriter members(scratch_, out.arena());
  if (const char* error = json_->parse(text, members)) return error;
  const Field* log = nullptr;
  for (const Field& f : scratch_) {
    if (f.key == "log") log = &f;
  }
  if (log == nullptr || log->type != FieldType::kString) return "docker: no string member \"log\"";
  std::string_view message = log->value;
  uint8_t tag = kPartialParsed | kPartialPiece;
  if (message.ends_with('\n')) {
    message.remove_suffix(1);
    message = view_of_line(text, message);
    tag = kPartialParsed;
  }
  out.set_message(message);
  std::string_view stream;
  for (const Field& f : scratch_) {
    if (&f == log || f.key == "log") continue;
    out.add(f.key, f.value, f.type);
    if (f.key == "stream" && f.type == FieldType::kString) stream = f.value;
  }
  if (stream == "stderr") tag |= kPartialStderr;
  const size_t i = out.event_index();
  if (i < tags_.size() && (stream == "stdout" || stream == "stderr")) tags_[i] = tag;
  return nullptr;
}

Result<std::unique_ptr<Stage>> DockerStage::create(const Options& o, const PluginContext& ctx) {
  return std::unique_ptr<Stage>(std::make_unique<PartialParserStage<DockerParser>>(
      to_settings(o), o.max_bytes.bytes, ctx.metrics.with_default({{"stage", std::string(kName)}}),
      3));  // stream, time, and attrs when --log-opt labels are set
}

}  // namespace logagent::plugins::docker
