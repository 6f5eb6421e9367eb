// The "drop" and "keep" processors: filter events by a condition on one field.
//
//   - type: drop                 # drops the events that match
//     field: level               # or "message" (the default)
//     equals: debug              # exactly one of equals / matches / exists
//   - type: keep                 # drops the events that do not match
//     matches: 'ERROR|WARN'      # RE2, unanchored (use ^...$ to anchor); compiled at config time
//   - type: drop
//     field: _error
//     exists: true
//
// A field that the event does not have matches neither equals nor matches; exists: false matches
// exactly the events without it. (An empty value cannot be written as equals: use matches: '^$'.)
// Dropped events get kEventDropped and still count as acknowledged.
//
// Metrics: logagent_processor_events_total{stage="drop"|"keep",result="kept"|"dropped"}, once per
// batch (events dropped by an earlier stage are not counted).
//
// Threads: a stage instance serves one lane (RE2 matching is thread-safe anyway).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/api/metrics.h"
#include "agent/api/options.h"
#include "agent/api/plugin.h"
#include "plugins/common/processor_metrics.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace logagent::plugins::filter {

struct FilterOptions {
  std::string field = "message";
  // Exactly one is set; unset is not "" (`equals: ""` matches an empty value).
  std::optional<std::string> equals;
  std::optional<std::string> matches;
  std::optional<bool> exists;
  static const Schema<FilterOptions>& schema();
};

// A compiled condition on one field of an event.
class Condition {
 public:
  // nullptr and a message in `error` when `o` is invalid.
  static std::unique_ptr<Condition> make(const FilterOptions& o, std::string* error);
  ~Condition();
  bool matches(const Batch& batch, size_t event) const;

 private:
  Condition() = default;

  enum class Op { kEquals, kMatches, kExists, kAbsent };
  Op op_ = Op::kEquals;
  std::string field_;
  std::string value_;
  std::unique_ptr<re2::RE2> re_;
};

class FilterStage final : public Stage {
 public:
  // `drop_matching`: true for "drop", false for "keep".
  FilterStage(std::unique_ptr<Condition> condition, bool drop_matching,
              const MetricsScope& metrics);
  void process(Batch& batch) override;

 private:
  std::unique_ptr<Condition> condition_;
  bool drop_matching_;
  Counter kept_;
  Counter dropped_;
};

struct DropPlugin {
  static constexpr std::string_view kName = "drop";
  using Options = FilterOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

struct KeepPlugin {
  static constexpr std::string_view kName = "keep";
  using Options = FilterOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::filter

namespace logagent {
template <>
struct PluginMetrics<plugins::filter::DropPlugin> {
  static std::vector<MetricDef> defs() { return {plugins::kProcessorEvents}; }
};
template <>
struct PluginMetrics<plugins::filter::KeepPlugin> {
  static std::vector<MetricDef> defs() { return {plugins::kProcessorEvents}; }
};
}  // namespace logagent
