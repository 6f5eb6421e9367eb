// Metrics handles for plugins and the core: counters, gauges, histograms with fixed labels.
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
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace logagent {

using Labels = std::map<std::string, std::string>;
class MetricsRegistry;

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

  Counter counter(const std::string& name, const std::string& help, const Labels& extra = {}) const;
  Gauge gauge(const std::string& name, const std::string& help, const Labels& extra = {}) const;
  Histogram histogram(const std::string& name, const std::string& help,
                      const std::vector<double>& buckets, const Labels& extra = {}) const;
  MetricsScope with(const Labels& extra) const;
  const Labels& labels() const { return labels_; }
  const std::shared_ptr<MetricsRegistry>& registry() const { return registry_; }

 private:
  std::shared_ptr<MetricsRegistry> registry_;
  Labels labels_;
};

}  // namespace logagent
