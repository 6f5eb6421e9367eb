#include "plugins/processors/remove_fields/remove_fields_stage.h"

#include "plugins/common/field_edit.h"

namespace logagent::plugins::remove_fields {

const Schema<RemoveFieldsOptions>& RemoveFieldsOptions::schema() {
  static const Schema<RemoveFieldsOptions> s = [] {
    Schema<RemoveFieldsOptions> schema;
    schema.field("fields", &RemoveFieldsOptions::fields, "Names of the fields to remove.")
        .required()
        .rule([](const RemoveFieldsOptions& o) -> std::optional<std::string> {
          if (o.fields.empty()) return "fields must not be empty";
          for (const auto& f : o.fields) {
            if (f.empty()) return "field names must not be empty";
            if (f == "message") return "'message' cannot be removed";
          }
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

RemoveFieldsStage::RemoveFieldsStage(const RemoveFieldsOptions& o, const MetricsScope& metrics)
    : names_(o.fields), modified_(metrics.counter(kProcessorEvents, {{"result", "modified"}})) {}

void RemoveFieldsStage::process(Batch& batch) {
  uint64_t modified = 0;
  const size_t n = std::min(batch.spans.size(), batch.events.size());
  for (size_t i = 0; i < n; ++i) {
    if ((batch.events[i].flags & kEventDropped) != 0 || batch.spans[i].count == 0) continue;
    size_t removed = 0;
    for (const std::string& name : names_) removed += remove_event_field(batch, i, name);
    modified += removed > 0;
  }
  if (modified > 0) modified_.add(static_cast<double>(modified));
}

Result<std::unique_ptr<Stage>> RemoveFieldsPlugin::create(const Options& o,
                                                          const PluginContext& ctx) {
  return std::unique_ptr<Stage>(std::make_unique<RemoveFieldsStage>(
      o, ctx.metrics.with_default({{"stage", std::string(kName)}})));
}

}  // namespace logagent::plugins::remove_fields
