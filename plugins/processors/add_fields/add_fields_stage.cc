#include "plugins/processors/add_fields/add_fields_stage.h"

#include <cstring>

#include "agent/core/host_name.h"
#include "plugins/common/field_edit.h"

namespace logagent::plugins::add_fields {

const Schema<AddFieldsOptions>& AddFieldsOptions::schema() {
  static const Schema<AddFieldsOptions> s = [] {
    Schema<AddFieldsOptions> schema;
    schema
        .field("fields", &AddFieldsOptions::fields,
               "Fields to add, name: value. Values may use ${VAR} and the placeholders {host}, "
               "{pipeline}, {file} (the source path) and {offset} (the line's file offset); "
               "any other text in braces is kept as written. An "
               "existing field of that name is overwritten.")
        .required()
        .rule([](const AddFieldsOptions& o) -> std::optional<std::string> {
          if (o.fields.empty()) return "fields must not be empty";
          for (const auto& [k, v] : o.fields) {
            if (k.empty()) return "field names must not be empty";
            if (k == "message") return "'message' cannot be set by add_fields";
            if (auto t = parse_template(v, "", ""); !t) return k + ": " + t.message();
          }
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

Result<Template> parse_template(std::string_view value, std::string_view host,
                                std::string_view pipeline) {
  auto t = Template::parse(value, kValueSyntax);
  if (!t) return t;
  t->bind(TemplatePart::Kind::kHost, host);
  t->bind(TemplatePart::Kind::kPipeline, pipeline);
  return t;
}

AddFieldsStage::AddFieldsStage(const AddFieldsOptions& o, std::string_view host,
                               std::string_view pipeline, const MetricsScope& metrics)
    : modified_(metrics.counter(kProcessorEvents, {{"result", "modified"}})) {
  for (const auto& [key, value] : o.fields) {
    Entry e;
    e.key = key;
    // The schema's rule rejected a value that does not parse.
    if (auto t = parse_template(value, host, pipeline)) e.value = std::move(t.value());
    e.per_event = e.value.uses(TemplatePart::Kind::kOffset);
    entries_.push_back(std::move(e));
  }
}

std::string_view AddFieldsStage::render(Batch& batch, const Entry& e, size_t event) {
  const TemplateVars vars{
      batch.source != nullptr ? std::string_view(batch.source->path) : std::string_view(),
      {},
      {},
      &batch,
      event};
  size_t size = 0;
  e.value.for_each_piece(vars, [&size](std::string_view piece) { size += piece.size(); });
  if (size == 0) return {};
  char* out = batch.arena.allocate(size);
  char* w = out;
  e.value.for_each_piece(vars, [&w](std::string_view piece) {
    if (piece.empty()) return;  // an empty view's data() may be null: no memcpy from it
    std::memcpy(w, piece.data(), piece.size());
    w += piece.size();
  });
  return {out, size};
}

void AddFieldsStage::process(Batch& batch) {
  // Keys and batch-constant values go into the arena once per batch: fields must live as long as
  // the batch, which may outlive this stage (sinks hold it).
  for (Entry& e : entries_) {
    e.batch_key = batch.arena.copy(e.key);
    if (!e.per_event) e.batch_value = render(batch, e, 0);
  }
  reserve_for_append(batch, entries_.size());
  uint64_t modified = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Event& ev = batch.events[i];
    if ((ev.flags & kEventDropped) != 0) continue;
    for (const Entry& e : entries_) {
      const std::string_view value = e.per_event ? render(batch, e, i) : e.batch_value;
      set_event_field(batch, i, Field{e.batch_key, value, FieldType::kString});
    }
    ++modified;
  }
  if (modified > 0) modified_.add(static_cast<double>(modified));
}

Result<std::unique_ptr<Stage>> AddFieldsPlugin::create(const Options& o, const PluginContext& ctx) {
  return std::unique_ptr<Stage>(std::make_unique<AddFieldsStage>(
      o, host_name(), ctx.pipeline, ctx.metrics.with_default({{"stage", std::string(kName)}})));
}

}  // namespace logagent::plugins::add_fields
