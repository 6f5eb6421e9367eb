#include "plugins/parsers/cri/cri_parser.h"

#include <cstring>
#include <utility>

#include "agent/api/batch.h"
#include "plugins/common/field_edit.h"

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

void CriJoiner::join(Batch& batch, const std::vector<uint8_t>& tags) {
  for (size_t i = 0; i < tags.size() && i < batch.events.size(); ++i) {
    const uint8_t t = tags[i];
    if (!(t & CriParser::kParsed) || (batch.events[i].flags & kEventDropped)) continue;
    std::vector<size_t>& pending = pending_[(t & CriParser::kStderr) ? 1 : 0];
    if (t & CriParser::kPartial) {
      pending.push_back(i);
    } else if (!pending.empty()) {
      pending.push_back(i);
      merge(batch, pending, false);
    }
  }
  for (auto& pending : pending_) {
    if (!pending.empty()) merge(batch, pending, true);
  }
}

void CriJoiner::merge(Batch& batch, std::vector<size_t>& events, bool unfinished) {
  Event& first = batch.events[events.front()];
  if (events.size() > 1) {
    size_t total = 0;
    for (size_t i : events) total += batch.events[i].message.size();
    char* p = total > 0 ? batch.arena.allocate(total) : nullptr;
    size_t at = 0;
    for (size_t i : events) {
      const std::string_view m = batch.events[i].message;
      if (!m.empty()) std::memcpy(p + at, m.data(), m.size());
      at += m.size();
    }
    first.message = std::string_view(p, total);
    for (size_t k = 1; k < events.size(); ++k) batch.events[events[k]].flags |= kEventDropped;
  }
  if (unfinished)
    append_event_field(batch, events.front(), Field{"_partial", "true", FieldType::kBool});
  events.clear();
}

namespace {

class CriParserStage final : public Stage {
 public:
  CriParserStage(ParseSettings settings, const MetricsScope& metrics)
      : settings_(std::move(settings)), counters_(metrics) {}

  void process(Batch& batch) override {
    parser_.begin_batch(batch.events.size());
    const ParseCounts counts = parse_batch(batch, settings_, parser_, fields_per_event_);
    joiner_.join(batch, parser_.tags());
    counters_.add(counts);
  }

 private:
  const ParseSettings settings_;
  CriParser parser_;
  CriJoiner joiner_;
  ParserCounters counters_;
  double fields_per_event_ = 2;
};

}  // namespace

Result<std::unique_ptr<Stage>> CriStage::create(const Options& o, const PluginContext& ctx) {
  return std::unique_ptr<Stage>(std::make_unique<CriParserStage>(
      to_settings(o), ctx.metrics.with_default({{"stage", std::string(kName)}})));
}

}  // namespace logagent::plugins::cri
