// MetricsRegistry: the agent's Prometheus registry, its /metrics endpoint, and scrape-time
// samplers.
//
// Counters and histograms are updated where things happen (once per batch). Gauges that are
// derived from state (pool in use, queue depths, bytes behind) are computed by samplers that run
// at scrape time, so the hot path pays nothing for them.
//
// The HTTP endpoint is agent/metrics/http_server.h; it serves render().
//
// Threads: family creation takes a lock; samplers run on the HTTP thread during a scrape and must
// only read thread-safe state. Samplers are removed with the token that add_sampler returns.
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

  prometheus::Counter* counter(const std::string& name, const std::string& help,
                               const Labels& labels);
  prometheus::Gauge* gauge(const std::string& name, const std::string& help, const Labels& labels);
  prometheus::Histogram* histogram(const std::string& name, const std::string& help,
                                   const std::vector<double>& buckets, const Labels& labels);

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
  std::mutex mu_;
  std::map<std::string, void*> families_;  // name → prometheus::Family<T>*
  std::mutex sampler_mu_;
  std::map<uint64_t, Sampler> samplers_;
  uint64_t next_sampler_ = 1;
};

}  // namespace logagent
