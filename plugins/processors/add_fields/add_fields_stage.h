// The "add_fields" processor: adds (or overwrites) string fields on every live event.
//
//   - type: add_fields
//     fields: {env: "${ENV}", host: "{host}", src: "{file}:{offset}", pipe: "{pipeline}"}
//
// Values are templates (plugins/common/template.h) with the placeholders {host} and {pipeline}
// (rendered once at create()), {file} (the batch's source path, rendered once per batch) and
// {offset} (the event's file offset, rendered per event into the batch's arena). "{{" and "}}"
// are literal braces; any other text in braces is kept as written. ${VAR} was already expanded
// by the config loader. A field that the event already has is overwritten (the last one of that
// name); otherwise it is appended. "message" cannot be set.
//
// Metrics: logagent_processor_events_total{stage="add_fields",result="modified"}, once per batch.
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
#include "plugins/common/template.h"

namespace logagent::plugins::add_fields {

struct AddFieldsOptions {
  std::map<std::string, std::string> fields;
  static const Schema<AddFieldsOptions>& schema();
};

// The placeholders of a value; unknown ones stay text.
inline constexpr TemplateSyntax kValueSyntax{
    {TemplatePart::Kind::kHost, TemplatePart::Kind::kPipeline, TemplatePart::Kind::kFile,
     TemplatePart::Kind::kOffset},
    true};

// Parses a value; {host} and {pipeline} become text.
Result<Template> parse_template(std::string_view value, std::string_view host,
                                std::string_view pipeline);

class AddFieldsStage final : public Stage {
 public:
  AddFieldsStage(const AddFieldsOptions& o, std::string_view host, std::string_view pipeline,
                 const MetricsScope& metrics);
  void process(Batch& batch) override;

 private:
  struct Entry {
    std::string key;
    Template value;
    bool per_event = false;  // has {offset}
    // Per batch: the key and (when !per_event) the rendered value, in the batch's arena.
    std::string_view batch_key;
    std::string_view batch_value;
  };
  // The value of `e` for event `event`, in the batch's arena.
  static std::string_view render(Batch& batch, const Entry& e, size_t event);

  std::vector<Entry> entries_;
  Counter modified_;
};

struct AddFieldsPlugin {
  static constexpr std::string_view kName = "add_fields";
  using Options = AddFieldsOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::add_fields

namespace logagent {
template <>
struct PluginMetrics<plugins::add_fields::AddFieldsPlugin> {
  static std::vector<MetricDef> defs() { return {plugins::kProcessorEvents}; }
};
}  // namespace logagent
