// The "rename_fields" processor: renames fields of every live event.
//
//   - type: rename_fields
//     fields: {msg: message_text, lvl: level}
//
// For each old → new pair, the last field named old is renamed to new; any other field already
// named new is removed first (the renamed one replaces it), so the event never has both. Events
// without old are untouched. "message" can be neither renamed nor a target.
//
// Metrics: logagent_processor_events_total{stage="rename_fields",result="modified"} counts the
// events with at least one renamed field, once per batch.
//
// Threads: a stage instance serves one lane.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/metrics.h"
#include "agent/api/options.h"
#include "agent/api/plugin.h"
#include "plugins/common/processor_metrics.h"

namespace logagent::plugins::rename_fields {

struct RenameFieldsOptions {
  std::map<std::string, std::string> fields;
  static const Schema<RenameFieldsOptions>& schema();
};

class RenameFieldsStage final : public Stage {
 public:
  RenameFieldsStage(const RenameFieldsOptions& o, const MetricsScope& metrics);
  void process(Batch& batch) override;

 private:
  struct Pair {
    std::string from;
    std::string to;
  };
  std::vector<Pair> pairs_;
  std::vector<std::string_view> batch_to_;  // `to` names in the current batch's arena
  Counter modified_;
};

struct RenameFieldsPlugin {
  static constexpr std::string_view kName = "rename_fields";
  using Options = RenameFieldsOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::rename_fields

namespace logagent {
template <>
struct PluginMetrics<plugins::rename_fields::RenameFieldsPlugin> {
  static std::vector<MetricDef> defs() { return {plugins::kProcessorEvents}; }
};
}  // namespace logagent
