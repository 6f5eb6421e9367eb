// Metrics for plugins and the core: how a component declares them (MetricDef) and the handles
// it updates (Counter, Gauge, Histogram).
//
// Each component declares its metrics once, as a table of MetricDefs next to the code that
// updates them, and makes its handles from those defs: `scope.counter(kMyDef)`. The same tables
// generate the README's metrics reference (`logagent reference --metrics`); a plugin hands its
// table to the registry by specializing PluginMetrics<P> (below).
//
// A MetricsScope makes metrics that carry its labels (e.g. {pipeline="app", sink="file"}).
// Families are created once per name; asking twice for the same name and labels returns the same
// series. Handles are cheap to copy and stay valid for the life of the MetricsRegistry.
// Update once per batch, not per event: an increment is a compare-exchange on an atomic double.
//
// Threads: handles may be updated from any thread; making metrics takes a registry lock.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace logagent {

using Labels = std::map<std::string, std::string>;
class MetricsRegistry;

enum class MetricKind { kCounter, kGauge, kHistogram };
constexpr std::string_view to_string(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// One metric, declared once by the component that updates it.
// - name: logagent_<component>_<what>_<unit>; a counter's ends in _total.
// - labels: every label name its series carry, comma-separated, in the order the reference
//   shows them (e.g. "pipeline,sink,result"): the scope's labels plus the extra ones given when
//   a handle is made. The registry records a handle whose labels differ (declaration_errors()).
// - help: one sentence, the `# HELP` line and the reference's "meaning" column.
struct MetricDef {
  std::string_view name;
  MetricKind kind = MetricKind::kCounter;
  std::string_view labels;
  std::string_view help;
  bool operator==(const MetricDef&) const = default;
};

// A plugin type P lists the metrics it makes by specializing this template where its table is
// declared, so that the registry (agent/api/registry.h) and the generated reference see them:
//   template <> struct PluginMetrics<plugins::json::JsonStage> {
//     static std::vector<MetricDef> defs() { return {plugins::kParserEvents}; }
//   };
// The primary template has no defs(): a plugin that makes no metrics of its own.
// (Every stage also gets the standard per-stage metrics from the lane: agent/pipeline/lane.h.)
template <class P>
struct PluginMetrics {};

class Counter {
 public:
  Counter() = default;
  explicit Counter(prometheus::Counter* c) : c_(c) {}
  void add(double v) const;
  void inc() const { add(1); }
  double value() const;

 private:
  prometheus::Counter* c_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  explicit Gauge(prometheus::Gauge* g) : g_(g) {}
  void set(double v) const;
  void add(double v) const;
  double value() const;

 private:
  prometheus::Gauge* g_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;
  explicit Histogram(prometheus::Histogram* h) : h_(h) {}
  void observe(double v) const;

 private:
  prometheus::Histogram* h_ = nullptr;
};

class MetricsScope {
 public:
  MetricsScope() = default;  // a scope with no registry makes inert handles (for tests)
  MetricsScope(std::shared_ptr<MetricsRegistry> registry, Labels labels)
      : registry_(std::move(registry)), labels_(std::move(labels)) {}

  // The handle of `def` with the scope's labels plus `extra` (def.kind must match).
  Counter counter(const MetricDef& def, const Labels& extra = {}) const;
  Gauge gauge(const MetricDef& def, const Labels& extra = {}) const;
  Histogram histogram(const MetricDef& def, const std::vector<double>& buckets,
                      const Labels& extra = {}) const;

  // Looks a series up by name, making it if no component declared it yet: for tests that read a
  // value. Components make their handles from their MetricDefs (above), never by a bare name.
  Counter counter(const std::string& name, const std::string& help, const Labels& extra = {}) const;
  Gauge gauge(const std::string& name, const std::string& help, const Labels& extra = {}) const;

  MetricsScope with(const Labels& extra) const;
  // Adds the labels of `labels` that the scope does not carry yet (e.g. a stage's default "stage"
  // label, which the pipeline has already set to the stage's unique label).
  MetricsScope with_default(const Labels& labels) const;
  const Labels& labels() const { return labels_; }
  const std::shared_ptr<MetricsRegistry>& registry() const { return registry_; }

 private:
  std::shared_ptr<MetricsRegistry> registry_;
  Labels labels_;
};

}  // namespace logagent
