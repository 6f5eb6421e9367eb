#include "plugins/parsers/cri/cri_parser.h"

#include "plugins/common/partial_parser_stage.h"

namespace logagent::plugins::cri {

const char* CriParser::parse(std::string_view text, FieldWriter& out) {
  const size_t time_end = text.find(' ');
  if (time_end == 0 || time_end == std::string_view::npos) return "cri: no time";
  const size_t stream_end = text.find(' ', time_end + 1);
  if (stream_end == std::string_view::npos) return "cri: no tag";
  const std::string_view stream = text.substr(time_end + 1, stream_end - time_end - 1);
  uint8_t tag = kParsed;
  if (stream == "stderr") {
    tag |= kStderr;
  } else if (stream != "stdout") {
    return "cri: stream is neither stdout nor stderr";
  }
  size_t tag_end = text.find(' ', stream_end + 1);
  if (tag_end == std::string_view::npos) tag_end = text.size();  // an empty line, no space
  const std::string_view flags = text.substr(stream_end + 1, tag_end - stream_end - 1);
  if (flags.empty() || (flags[0] != 'P' && flags[0] != 'F') ||
      (flags.size() > 1 && flags[1] != ':')) {
    return "cri: tag is neither P nor F";
  }
  if (flags[0] == 'P') tag |= kPartial;
  out.add("time", text.substr(0, time_end), FieldType::kString);
  out.add("stream", stream, FieldType::kString);
  out.set_message(tag_end < text.size() ? text.substr(tag_end + 1) : std::string_view());
  const size_t i = out.event_index();
  if (i < tags_.size()) tags_[i] = tag;
  return nullptr;
}

Result<std::unique_ptr<Stage>> CriStage::create(const Options& o, const PluginContext& ctx) {
  return std::unique_ptr<Stage>(std::make_unique<PartialParserStage<CriParser>>(
      to_settings(o), o.max_bytes.bytes, ctx.metrics.with_default({{"stage", std::string(kName)}}),
      2));  // time and stream
}

}  // namespace logagent::plugins::cri
