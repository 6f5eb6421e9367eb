#include "plugins/processors/filter/filter_stage.h"

#include <re2/re2.h>

#include "plugins/common/field_edit.h"

namespace logagent::plugins::filter {

const Schema<FilterOptions>& FilterOptions::schema() {
  static const Schema<FilterOptions> s = [] {
    Schema<FilterOptions> schema;
    schema
        .field("field", &FilterOptions::field,
               "The field the condition looks at: `message` (the line) or a field's name.")
        .field("equals", &FilterOptions::equals, "Matches when the field's value is exactly this.")
        .field("matches", &FilterOptions::matches,
               "Matches when this RE2 regular expression matches part of the field's value.")
        .field("exists", &FilterOptions::exists,
               "true: matches when the event has the field; false: when it has not.")
        .rule([](const FilterOptions& o) -> std::optional<std::string> {
          std::string error;
          if (Condition::make(o, &error) == nullptr) return error;
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

Condition::~Condition() = default;

std::unique_ptr<Condition> Condition::make(const FilterOptions& o, std::string* error) {
  if (o.field.empty()) {
    *error = "field must not be empty";
    return nullptr;
  }
  const int set =
      int{o.equals.has_value()} + int{o.matches.has_value()} + int{o.exists.has_value()};
  if (set != 1) {
    *error = "exactly one of 'equals', 'matches' or 'exists' is required";
    return nullptr;
  }
  auto c = std::unique_ptr<Condition>(new Condition());
  c->field_ = o.field;
  if (o.equals) {
    c->op_ = Op::kEquals;
    c->value_ = *o.equals;
  } else if (o.matches) {
    re2::RE2::Options re_options;
    re_options.set_log_errors(false);
    c->op_ = Op::kMatches;
    c->re_ = std::make_unique<re2::RE2>(*o.matches, re_options);
    if (!c->re_->ok()) {
      *error = "matches: invalid regular expression '" + *o.matches + "': " + c->re_->error();
      return nullptr;
    }
  } else {
    c->op_ = *o.exists ? Op::kExists : Op::kAbsent;
  }
  return c;
}

bool Condition::matches(const Batch& batch, size_t event) const {
  const auto value = field_value(batch, event, field_);
  switch (op_) {
    case Op::kEquals:
      return value && *value == value_;
    case Op::kMatches:
      return value && re2::RE2::PartialMatch(*value, *re_);
    case Op::kExists:
      return value.has_value();
    case Op::kAbsent:
      return !value.has_value();
  }
  return false;
}

FilterStage::FilterStage(std::unique_ptr<Condition> condition, bool drop_matching,
                         const MetricsScope& metrics)
    : condition_(std::move(condition)),
      drop_matching_(drop_matching),
      kept_(metrics.counter(kProcessorEvents, {{"result", "kept"}})),
      dropped_(metrics.counter(kProcessorEvents, {{"result", "dropped"}})) {}

void FilterStage::process(Batch& batch) {
  uint64_t kept = 0;
  uint64_t dropped = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    Event& e = batch.events[i];
    if ((e.flags & kEventDropped) != 0) continue;
    if (condition_->matches(batch, i) == drop_matching_) {
      e.flags |= kEventDropped;
      ++dropped;
    } else {
      ++kept;
    }
  }
  if (kept > 0) kept_.add(static_cast<double>(kept));
  if (dropped > 0) dropped_.add(static_cast<double>(dropped));
}

namespace {

Result<std::unique_ptr<Stage>> make_filter(const FilterOptions& o, const PluginContext& ctx,
                                           std::string_view name, bool drop_matching) {
  std::string error;
  auto condition = Condition::make(o, &error);
  if (condition == nullptr) return Status::error(std::string(name) + ": " + error);
  return std::unique_ptr<Stage>(
      std::make_unique<FilterStage>(std::move(condition), drop_matching,
                                    ctx.metrics.with_default({{"stage", std::string(name)}})));
}

}  // namespace

Result<std::unique_ptr<Stage>> DropPlugin::create(const Options& o, const PluginContext& ctx) {
  return make_filter(o, ctx, kName, true);
}

Result<std::unique_ptr<Stage>> KeepPlugin::create(const Options& o, const PluginContext& ctx) {
  return make_filter(o, ctx, kName, false);
}

}  // namespace logagent::plugins::filter
