// KubernetesApi: the tail input's `kubernetes: {api: ...}` at run time -- a PodCache kept by a
// PodWatcher (pod_watcher.h) for as long as the input runs.
//
// Reading never blocks on the API server. start() waits at most `wait` for the first pod list,
// so the files found at start are described with their pods' labels; after that, a file is
// described once, when its first batch is emitted, with whatever the cache holds then: a file
// whose pod is not (yet) cached -- the server unreachable, the pod beyond max_pods, a pod seen
// by the kubelet before the watch reported it -- gets the fields of its path only, for its whole
// life in this run (source fields are set once per file). New pods are normally cached before
// their containers write: the API server reports a pod when it is scheduled.
//
// Threads: start() on the input thread; fields() from any thread (the cache is thread-safe).
#pragma once

#include <memory>
#include <stop_token>
#include <string>

#include "agent/api/metrics.h"
#include "plugins/inputs/tail/kubernetes_api_options.h"
#include "plugins/inputs/tail/pod_cache.h"
#include "plugins/inputs/tail/pod_watcher.h"

namespace logagent::plugins::tail {

class KubernetesApi {
 public:
  // Starts the watch and waits for the first list (at most options.wait, less if `stop` is
  // requested); never fails: a server that cannot be reached is retried in the background (and
  // logged).
  static std::unique_ptr<KubernetesApi> start(const KubernetesApiOptions& options,
                                              const std::string& pipeline,
                                              const MetricsScope& metrics, std::stop_token stop);

  const PodCache& cache() const { return cache_; }

 private:
  KubernetesApi(const KubernetesApiOptions& options, const MetricsScope& metrics);

  PodCache cache_;
  PodWatcher watcher_;  // after cache_: stopped (destroyed) first
};

// The metrics handles of the watcher (tail_metrics.h).
PodWatcherMetrics pod_watcher_metrics(const MetricsScope& scope);

}  // namespace logagent::plugins::tail
