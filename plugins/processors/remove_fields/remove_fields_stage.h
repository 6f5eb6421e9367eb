// The "remove_fields" processor: removes fields by name from every live event.
//
//   - type: remove_fields
//     fields: [password, _error]
//
// Every field of a listed name is removed (parsers may repeat a key). "message" cannot be removed.
//
// Metrics: logagent_processor_events_total{stage="remove_fields",result="modified"} counts the
// events that lost at least one field, once per batch.
//
// Threads: a stage instance serves one lane.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/metrics.h"
#include "agent/api/options.h"
#include "agent/api/plugin.h"
#include "plugins/common/processor_metrics.h"

namespace logagent::plugins::remove_fields {

struct RemoveFieldsOptions {
  std::vector<std::string> fields;
  static const Schema<RemoveFieldsOptions>& schema();
};

class RemoveFieldsStage final : public Stage {
 public:
  RemoveFieldsStage(const RemoveFieldsOptions& o, const MetricsScope& metrics);
  void process(Batch& batch) override;

 private:
  std::vector<std::string> names_;
  Counter modified_;
};

struct RemoveFieldsPlugin {
  static constexpr std::string_view kName = "remove_fields";
  using Options = RemoveFieldsOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::remove_fields

namespace logagent {
template <>
struct PluginMetrics<plugins::remove_fields::RemoveFieldsPlugin> {
  static std::vector<MetricDef> defs() { return {plugins::kProcessorEvents}; }
};
}  // namespace logagent
