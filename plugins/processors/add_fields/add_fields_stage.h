// The "add_fields" processor: adds (or overwrites) string fields on every live event.
//
//   - type: add_fields
//     fields: {env: "${ENV}", host: "{host}", src: "{file}:{offset}", pipe: "{pipeline}"}
//
// Values may hold the placeholders {host} and {pipeline} (rendered once at create()), {file} (the
// batch's source path, rendered once per batch) and {offset} (the event's file offset, rendered
// per event into the batch's arena). Any other text, braces included, is literal; ${VAR} was
// already expanded by the config loader. A field that the event already has is overwritten (the
// last one of that name); otherwise it is appended. "message" cannot be set.
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

namespace logagent::plugins::add_fields {

struct AddFieldsOptions {
  std::map<std::string, std::string> fields;
  static const Schema<AddFieldsOptions>& schema();
};

// One piece of a value template.
struct Piece {
  enum class Kind { kText, kFile, kOffset };
  Kind kind = Kind::kText;
  std::string text;  // kText only
};

// Splits `value` into pieces; {host} and {pipeline} become text.
std::vector<Piece> parse_template(std::string_view value, std::string_view host,
                                  std::string_view pipeline);

class AddFieldsStage final : public Stage {
 public:
  AddFieldsStage(const AddFieldsOptions& o, std::string_view host, std::string_view pipeline,
                 const MetricsScope& metrics);
  void process(Batch& batch) override;

 private:
  struct Entry {
    std::string key;
    std::vector<Piece> pieces;
    bool per_event = false;  // has {offset}
    // Per batch: the key and (when !per_event) the rendered value, in the batch's arena.
    std::string_view batch_key;
    std::string_view batch_value;
  };
  std::string_view render(Batch& batch, const Entry& e, uint64_t offset) const;

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
