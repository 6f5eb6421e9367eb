#include "plugins/processors/add_fields/add_fields_stage.h"

#include <unistd.h>

#include <array>
#include <charconv>
#include <climits>
#include <cstring>

#include "agent/core/host_name.h"
#include "plugins/common/field_edit.h"

namespace logagent::plugins::add_fields {
namespace {}  // namespace

const Schema<AddFieldsOptions>& AddFieldsOptions::schema() {
  static const Schema<AddFieldsOptions> s = [] {
    Schema<AddFieldsOptions> schema;
    schema
        .field("fields", &AddFieldsOptions::fields,
               "Fields to add, name: value. Values may use ${VAR} and the placeholders {host}, "
               "{pipeline}, {file} (the source path) and {offset} (the line's file offset). An "
               "existing field of that name is overwritten.")
        .required()
        .rule([](const AddFieldsOptions& o) -> std::optional<std::string> {
          if (o.fields.empty()) return "fields must not be empty";
          for (const auto& [k, v] : o.fields) {
            if (k.empty()) return "field names must not be empty";
            if (k == "message") return "'message' cannot be set by add_fields";
          }
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

std::vector<Piece> parse_template(std::string_view value, std::string_view host,
                                  std::string_view pipeline) {
  std::vector<Piece> out;
  auto text = [&out]() -> std::string& {
    if (out.empty() || out.back().kind != Piece::Kind::kText) out.push_back({});
    return out.back().text;
  };
  while (!value.empty()) {
    if (value.starts_with("{host}")) {
      text() += host;
      value.remove_prefix(6);
    } else if (value.starts_with("{pipeline}")) {
      text() += pipeline;
      value.remove_prefix(10);
    } else if (value.starts_with("{file}")) {
      out.push_back({Piece::Kind::kFile, {}});
      value.remove_prefix(6);
    } else if (value.starts_with("{offset}")) {
      out.push_back({Piece::Kind::kOffset, {}});
      value.remove_prefix(8);
    } else {
      text().push_back(value.front());
      value.remove_prefix(1);
    }
  }
  return out;
}

AddFieldsStage::AddFieldsStage(const AddFieldsOptions& o, std::string_view host,
                               std::string_view pipeline, const MetricsScope& metrics)
    : modified_(metrics.counter(kProcessorEvents, {{"result", "modified"}})) {
  for (const auto& [key, value] : o.fields) {
    Entry e;
    e.key = key;
    e.pieces = parse_template(value, host, pipeline);
    for (const Piece& p : e.pieces) e.per_event = e.per_event || p.kind == Piece::Kind::kOffset;
    entries_.push_back(std::move(e));
  }
}

// The value of `e` for a line at `offset`, in the batch's arena.
std::string_view AddFieldsStage::render(Batch& batch, const Entry& e, uint64_t offset) const {
  const std::string_view file =
      batch.source != nullptr ? std::string_view(batch.source->path) : std::string_view();
  std::array<char, 24> digits{};
  const auto conv = std::to_chars(digits.data(), digits.data() + digits.size(), offset);
  const auto digits_len = static_cast<size_t>(conv.ptr - digits.data());
  size_t size = 0;
  for (const Piece& p : e.pieces) {
    size += p.kind == Piece::Kind::kText   ? p.text.size()
            : p.kind == Piece::Kind::kFile ? file.size()
                                           : digits_len;
  }
  if (size == 0) return {};
  char* out = batch.arena.allocate(size);
  char* w = out;
  for (const Piece& p : e.pieces) {
    const std::string_view part = p.kind == Piece::Kind::kText ? std::string_view(p.text)
                                  : p.kind == Piece::Kind::kFile
                                      ? file
                                      : std::string_view(digits.data(), digits_len);
    std::memcpy(w, part.data(), part.size());
    w += part.size();
  }
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
      const std::string_view value = e.per_event ? render(batch, e, ev.offset) : e.batch_value;
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
