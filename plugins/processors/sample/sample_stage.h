// The "sample" processor: keeps 1 in `rate` events, deterministically by a field's value.
//
//   - type: sample
//     rate: 10        # keep 1 in 10
//     by: trace_id    # default "message"
//
// An event is kept when stable_hash(value) % rate == 0 (plugins/common/field_edit.h): the same
// value always gets the same decision, on every lane, run and host, so all events of one trace
// (say) are kept or sampled out together. Events without the field are kept. Sampled-out events get
// kEventDropped (they still count as acknowledged).
//
// Metrics: logagent_processor_events_total{stage="sample",result="kept"|"sampled_out"}, once per
// batch.
//
// Threads: a stage instance serves one lane.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/api/metrics.h"
#include "agent/api/options.h"
#include "agent/api/plugin.h"
#include "plugins/common/processor_metrics.h"

namespace logagent::plugins::sample {

struct SampleOptions {
  uint64_t rate = 10;
  std::string by = "message";
  static const Schema<SampleOptions>& schema();
};

class SampleStage final : public Stage {
 public:
  SampleStage(const SampleOptions& o, const MetricsScope& metrics);
  void process(Batch& batch) override;

 private:
  uint64_t rate_;
  std::string by_;
  Counter kept_;
  Counter sampled_out_;
};

struct SamplePlugin {
  static constexpr std::string_view kName = "sample";
  using Options = SampleOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::sample

namespace logagent {
template <>
struct PluginMetrics<plugins::sample::SamplePlugin> {
  static std::vector<MetricDef> defs() { return {plugins::kProcessorEvents}; }
};
}  // namespace logagent
