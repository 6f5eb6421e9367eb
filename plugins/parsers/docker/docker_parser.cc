#include "plugins/parsers/docker/docker_parser.h"

#include <string>

#include "plugins/common/json_object.h"

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
  if (message.ends_with('\n')) {
    message.remove_suffix(1);
    message = view_of_line(text, message);
  }
  out.set_message(message);
  for (const Field& f : scratch_) {
    if (&f != log && f.key != "log") out.add(f.key, f.value, f.type);
  }
  return nullptr;
}

Result<std::unique_ptr<Stage>> DockerStage::create(const Options& o, const PluginContext& ctx) {
  return make_parser_stage(to_settings(o), std::make_unique<DockerParser>(),
                           ctx.metrics.with_default({{"stage", std::string(kName)}}));
}

}  // namespace logagent::plugins::docker
