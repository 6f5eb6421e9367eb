#include "agent/metrics/metrics_registry.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <type_traits>

namespace logagent {

// Runs the samplers, then collects the registry: what the exposer scrapes.
class MetricsRegistry::Collector : public prometheus::Collectable {
 public:
  explicit Collector(MetricsRegistry* owner) : owner_(owner) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    owner_->sample();
    return owner_->registry_->Collect();
  }

 private:
  MetricsRegistry* owner_;
};

MetricsRegistry::MetricsRegistry()
    : registry_(std::make_shared<prometheus::Registry>()),
      collector_(std::make_shared<Collector>(this)) {}

MetricsRegistry::~MetricsRegistry() = default;

namespace {

template <class T>
auto builder() {
  if constexpr (std::is_same_v<T, prometheus::Counter>) return prometheus::BuildCounter();
  if constexpr (std::is_same_v<T, prometheus::Gauge>) return prometheus::BuildGauge();
  if constexpr (std::is_same_v<T, prometheus::Histogram>) return prometheus::BuildHistogram();
}

// "pipeline,sink,result" → its names, sorted.
std::vector<std::string> label_names(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    out.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

template <class T>
T* MetricsRegistry::add(MetricKind kind, const std::string& name, const std::string& help,
                        const Labels& labels, const std::vector<double>* buckets) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto& fam = builder<T>().Name(name).Help(help).Register(*registry_);
    it = families_.emplace(name, FamilyEntry{&fam, kind}).first;
  } else if (it->second.kind != kind) {
    errors_.push_back(name + ": made as a " + std::string(to_string(kind)) + ", already a " +
                      std::string(to_string(it->second.kind)));
    return nullptr;
  }
  auto& fam = *static_cast<prometheus::Family<T>*>(it->second.family);
  if constexpr (std::is_same_v<T, prometheus::Histogram>) {
    return &fam.Add(labels, prometheus::Histogram::BucketBoundaries(*buckets));
  } else {
    (void)buckets;
    return &fam.Add(labels);
  }
}

void MetricsRegistry::check(const MetricDef& def, MetricKind asked, const Labels& labels) {
  const std::string name(def.name);
  if (def.kind != asked) {
    errors_.push_back(name + ": declared a " + std::string(to_string(def.kind)) + ", made as a " +
                      std::string(to_string(asked)));
  }
  std::vector<std::string> have;
  for (const auto& [key, value] : labels) have.push_back(key);  // a std::map: sorted
  if (have != label_names(def.labels)) {
    std::string got;
    for (const auto& key : have) got += (got.empty() ? "" : ",") + key;
    errors_.push_back(name + ": declared with labels {" + std::string(def.labels) +
                      "}, made with {" + got + "}");
  }
  auto [it, added] = defs_.emplace(name, def);
  if (!added && it->second != def) errors_.push_back(name + ": declared twice, differently");
}

prometheus::Counter* MetricsRegistry::counter(const MetricDef& def, const Labels& labels) {
  std::lock_guard lock(mu_);
  check(def, MetricKind::kCounter, labels);
  if (def.kind != MetricKind::kCounter) return nullptr;
  return add<prometheus::Counter>(def.kind, std::string(def.name), std::string(def.help), labels,
                                  nullptr);
}

prometheus::Gauge* MetricsRegistry::gauge(const MetricDef& def, const Labels& labels) {
  std::lock_guard lock(mu_);
  check(def, MetricKind::kGauge, labels);
  if (def.kind != MetricKind::kGauge) return nullptr;
  return add<prometheus::Gauge>(def.kind, std::string(def.name), std::string(def.help), labels,
                                nullptr);
}

prometheus::Histogram* MetricsRegistry::histogram(const MetricDef& def,
                                                  const std::vector<double>& buckets,
                                                  const Labels& labels) {
  std::lock_guard lock(mu_);
  check(def, MetricKind::kHistogram, labels);
  if (def.kind != MetricKind::kHistogram) return nullptr;
  return add<prometheus::Histogram>(def.kind, std::string(def.name), std::string(def.help), labels,
                                    &buckets);
}

prometheus::Counter* MetricsRegistry::counter(const std::string& name, const std::string& help,
                                              const Labels& labels) {
  std::lock_guard lock(mu_);
  return add<prometheus::Counter>(MetricKind::kCounter, name, help, labels, nullptr);
}

prometheus::Gauge* MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                          const Labels& labels) {
  std::lock_guard lock(mu_);
  return add<prometheus::Gauge>(MetricKind::kGauge, name, help, labels, nullptr);
}

void MetricsRegistry::remove_gauge(const MetricDef& def, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto it = families_.find(std::string(def.name));
  if (it == families_.end() || it->second.kind != MetricKind::kGauge) return;
  auto& fam = *static_cast<prometheus::Family<prometheus::Gauge>*>(it->second.family);
  if (fam.Has(labels)) fam.Remove(&fam.Add(labels));  // Add returns the existing series
}

std::vector<std::string> MetricsRegistry::declaration_errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

uint64_t MetricsRegistry::add_sampler(Sampler sampler) {
  std::lock_guard lock(sampler_mu_);
  samplers_.emplace(next_sampler_, std::move(sampler));
  return next_sampler_++;
}

void MetricsRegistry::remove_sampler(uint64_t id) {
  std::lock_guard lock(sampler_mu_);
  samplers_.erase(id);
}

void MetricsRegistry::sample() {
  std::lock_guard lock(sampler_mu_);
  for (auto& [id, s] : samplers_) s();
}

std::string MetricsRegistry::render() {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(collector_->Collect());
}

// --- handles (agent/api/metrics.h) --------------------------------------------------------------

void Counter::add(double v) const {
  if (c_ != nullptr) c_->Increment(v);
}
double Counter::value() const { return c_ != nullptr ? c_->Value() : 0; }
void Gauge::set(double v) const {
  if (g_ != nullptr) g_->Set(v);
}
void Gauge::add(double v) const {
  if (g_ != nullptr) g_->Increment(v);
}
double Gauge::value() const { return g_ != nullptr ? g_->Value() : 0; }
void Histogram::observe(double v) const {
  if (h_ != nullptr) h_->Observe(v);
}

namespace {
Labels merged(const Labels& base, const Labels& extra) {
  Labels out = base;
  for (const auto& [k, v] : extra) out[k] = v;
  return out;
}
}  // namespace

Counter MetricsScope::counter(const MetricDef& def, const Labels& extra) const {
  if (!registry_) return Counter();
  return Counter(registry_->counter(def, merged(labels_, extra)));
}
Gauge MetricsScope::gauge(const MetricDef& def, const Labels& extra) const {
  if (!registry_) return Gauge();
  return Gauge(registry_->gauge(def, merged(labels_, extra)));
}
Histogram MetricsScope::histogram(const MetricDef& def, const std::vector<double>& buckets,
                                  const Labels& extra) const {
  if (!registry_) return Histogram();
  return Histogram(registry_->histogram(def, buckets, merged(labels_, extra)));
}
Counter MetricsScope::counter(const std::string& name, const std::string& help,
                              const Labels& extra) const {
  if (!registry_) return Counter();
  return Counter(registry_->counter(name, help, merged(labels_, extra)));
}
Gauge MetricsScope::gauge(const std::string& name, const std::string& help,
                          const Labels& extra) const {
  if (!registry_) return Gauge();
  return Gauge(registry_->gauge(name, help, merged(labels_, extra)));
}
MetricsScope MetricsScope::with(const Labels& extra) const {
  return MetricsScope(registry_, merged(labels_, extra));
}
MetricsScope MetricsScope::with_default(const Labels& labels) const {
  Labels out = labels_;
  for (const auto& [k, v] : labels) out.emplace(k, v);  // keeps the scope's own value
  return MetricsScope(registry_, std::move(out));
}

}  // namespace logagent
