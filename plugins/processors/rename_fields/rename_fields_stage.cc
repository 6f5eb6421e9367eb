#include "plugins/processors/rename_fields/rename_fields_stage.h"

#include "plugins/common/field_edit.h"

namespace logagent::plugins::rename_fields {

const Schema<RenameFieldsOptions>& RenameFieldsOptions::schema() {
  static const Schema<RenameFieldsOptions> s = [] {
    Schema<RenameFieldsOptions> schema;
    schema
        .field("fields", &RenameFieldsOptions::fields,
               "Renames, old: new. An existing field named new is replaced.")
        .required()
        .rule([](const RenameFieldsOptions& o) -> std::optional<std::string> {
          if (o.fields.empty()) return "fields must not be empty";
          for (const auto& [from, to] : o.fields) {
            if (from.empty() || to.empty()) return "field names must not be empty";
            if (from == "message" || to == "message") {
              return "'message' can be neither renamed nor a new name";
            }
          }
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

RenameFieldsStage::RenameFieldsStage(const RenameFieldsOptions& o, const MetricsScope& metrics)
    : modified_(metrics.counter(kProcessorEvents, {{"result", "modified"}})) {
  for (const auto& [from, to] : o.fields) {
    if (from != to) pairs_.push_back({from, to});
  }
  batch_to_.resize(pairs_.size());
}

void RenameFieldsStage::process(Batch& batch) {
  // New keys live in the batch's arena: the batch may outlive this stage.
  for (size_t p = 0; p < pairs_.size(); ++p) batch_to_[p] = batch.arena.copy(pairs_[p].to);
  uint64_t modified = 0;
  const size_t n = std::min(batch.spans.size(), batch.events.size());
  for (size_t i = 0; i < n; ++i) {
    if ((batch.events[i].flags & kEventDropped) != 0 || batch.spans[i].count == 0) continue;
    bool changed = false;
    for (size_t p = 0; p < pairs_.size(); ++p) {
      if (find_field(batch, i, pairs_[p].from) == kNoField) continue;
      remove_event_field(batch, i, pairs_[p].to);
      batch.fields[find_field(batch, i, pairs_[p].from)].key = batch_to_[p];
      changed = true;
    }
    modified += changed;
  }
  if (modified > 0) modified_.add(static_cast<double>(modified));
}

Result<std::unique_ptr<Stage>> RenameFieldsPlugin::create(const Options& o,
                                                          const PluginContext& ctx) {
  return std::unique_ptr<Stage>(std::make_unique<RenameFieldsStage>(
      o, ctx.metrics.with_default({{"stage", std::string(kName)}})));
}

}  // namespace logagent::plugins::rename_fields
