#include "agent/metrics/metrics_registry.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

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
template <class T, class Builder>
prometheus::Family<T>& family(std::map<std::string, void*>& families, prometheus::Registry& reg,
                              const std::string& name, const std::string& help, Builder builder) {
  auto it = families.find(name);
  if (it != families.end()) return *static_cast<prometheus::Family<T>*>(it->second);
  auto& fam = builder.Name(name).Help(help).Register(reg);
  families.emplace(name, &fam);
  return fam;
}
}  // namespace

prometheus::Counter* MetricsRegistry::counter(const std::string& name, const std::string& help,
                                              const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& fam =
      family<prometheus::Counter>(families_, *registry_, name, help, prometheus::BuildCounter());
  return &fam.Add(labels);
}

prometheus::Gauge* MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                          const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& fam =
      family<prometheus::Gauge>(families_, *registry_, name, help, prometheus::BuildGauge());
  return &fam.Add(labels);
}

prometheus::Histogram* MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                                  const std::vector<double>& buckets,
                                                  const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& fam = family<prometheus::Histogram>(families_, *registry_, name, help,
                                            prometheus::BuildHistogram());
  return &fam.Add(labels, prometheus::Histogram::BucketBoundaries(buckets));
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
Histogram MetricsScope::histogram(const std::string& name, const std::string& help,
                                  const std::vector<double>& buckets, const Labels& extra) const {
  if (!registry_) return Histogram();
  return Histogram(registry_->histogram(name, help, buckets, merged(labels_, extra)));
}
MetricsScope MetricsScope::with(const Labels& extra) const {
  return MetricsScope(registry_, merged(labels_, extra));
}

}  // namespace logagent
