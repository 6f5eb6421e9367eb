// MetricsRegistry: the agent's Prometheus registry, its /metrics endpoint, and scrape-time
// samplers.
//
// Counters and histograms are updated where things happen (once per batch). Gauges that are
// derived from state (pool in use, queue depths, bytes behind) are computed by samplers that run
// at scrape time, so the hot path pays nothing for them.
//
// Metrics are made from their declarations (MetricDef, agent/api/metrics.h). The registry checks
// each handle against its def -- the kind, the label names, one def per name -- and keeps what
// does not match in declaration_errors() (a defect of the program, asserted empty by tests).
// A name asked for as two kinds gets an inert handle for the second.
//
// The HTTP endpoint is agent/metrics/http_server.h; it serves render().
//
// Threads: family creation and removal take a lock; samplers run on the HTTP thread during a scrape
// and must only read thread-safe state. Samplers are removed with the token that add_sampler
// returns.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/api/metrics.h"
#include "agent/api/status.h"

namespace prometheus {
class Registry;
template <class T>
class Family;
}  // namespace prometheus

namespace logagent {

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();

  // The series of `def` with `labels` (nullptr when def.kind is not the asked kind or the name
  // is already a family of another kind).
  prometheus::Counter* counter(const MetricDef& def, const Labels& labels);
  prometheus::Gauge* gauge(const MetricDef& def, const Labels& labels);
  prometheus::Histogram* histogram(const MetricDef& def, const std::vector<double>& buckets,
                                   const Labels& labels);
  // Looks a series up by name, making it undeclared if absent (tests reading a value).
  prometheus::Counter* counter(const std::string& name, const std::string& help,
                               const Labels& labels);
  prometheus::Gauge* gauge(const std::string& name, const std::string& help, const Labels& labels);

  // Removes the series of gauge `def` with `labels`, if it was made: it leaves /metrics (the
  // series of a pipeline a reload removed). Handles to it must not be used again.
  void remove_gauge(const MetricDef& def, const Labels& labels);

  // "NAME: what does not match its declaration", one per defect found so far.
  std::vector<std::string> declaration_errors() const;

  using Sampler = std::function<void()>;
  // Runs `sampler` before every scrape (and before render()). Returns an id for remove_sampler.
  uint64_t add_sampler(Sampler sampler);
  void remove_sampler(uint64_t id);
  void sample();

  // The Prometheus text exposition of everything, samplers run first (GET /metrics).
  std::string render();

 private:
  class Collector;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Collector> collector_;
  struct FamilyEntry {
    void* family;  // prometheus::Family<T>* of `kind`
    MetricKind kind;
  };
  template <class T>
  T* add(MetricKind kind, const std::string& name, const std::string& help, const Labels& labels,
         const std::vector<double>* buckets);
  void check(const MetricDef& def, MetricKind asked, const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, FamilyEntry> families_;  // guarded by mu_
  std::map<std::string, MetricDef> defs_;        // guarded by mu_: the first def of each name
  std::vector<std::string> errors_;              // guarded by mu_
  std::mutex sampler_mu_;
  std::map<uint64_t, Sampler> samplers_;
  uint64_t next_sampler_ = 1;
};

}  // namespace logagent
