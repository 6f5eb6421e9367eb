#include "plugins/processors/sample/sample_stage.h"

#include "plugins/common/field_edit.h"

namespace logagent::plugins::sample {

const Schema<SampleOptions>& SampleOptions::schema() {
  static const Schema<SampleOptions> s = [] {
    Schema<SampleOptions> schema;
    schema.field("rate", &SampleOptions::rate, "Keep 1 event in this many (1 keeps all).")
        .field("by", &SampleOptions::by,
               "The field whose value decides (same value, same decision): `message` or a "
               "field's name. Events without it are kept.")
        .rule([](const SampleOptions& o) -> std::optional<std::string> {
          if (o.rate == 0) return "rate must be at least 1";
          if (o.by.empty()) return "by must not be empty";
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

SampleStage::SampleStage(const SampleOptions& o, const MetricsScope& metrics)
    : rate_(o.rate == 0 ? 1 : o.rate),
      by_(o.by),
      kept_(metrics.counter(kProcessorEvents, {{"result", "kept"}})),
      sampled_out_(metrics.counter(kProcessorEvents, {{"result", "sampled_out"}})) {}

void SampleStage::process(Batch& batch) {
  uint64_t kept = 0;
  uint64_t out = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    Event& e = batch.events[i];
    if ((e.flags & kEventDropped) != 0) continue;
    const auto value = field_value(batch, i, by_);
    if (!value || stable_hash(*value) % rate_ == 0) {
      ++kept;
    } else {
      e.flags |= kEventDropped;
      ++out;
    }
  }
  if (kept > 0) kept_.add(static_cast<double>(kept));
  if (out > 0) sampled_out_.add(static_cast<double>(out));
}

Result<std::unique_ptr<Stage>> SamplePlugin::create(const Options& o, const PluginContext& ctx) {
  return std::unique_ptr<Stage>(
      std::make_unique<SampleStage>(o, ctx.metrics.with_default({{"stage", std::string(kName)}})));
}

}  // namespace logagent::plugins::sample
