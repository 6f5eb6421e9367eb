// PodWatcher: keeps a PodCache in step with the API server's pods of one node, on a thread of its
// own: LIST (paged), then WATCH from the list's resourceVersion, the way client-go's reflector
// does.
//
//   LIST  /api/v1/pods?fieldSelector=spec.nodeName=NODE&limit=500[&continue=...]
//   WATCH /api/v1/pods?watch=1&fieldSelector=...&resourceVersion=RV&allowWatchBookmarks=true
//         &timeoutSeconds=300
//
// A watch that ends normally (the server's timeout) is resumed from the last resourceVersion seen
// (pods' and bookmarks'). A watch answered "410 Gone" (HTTP status or an ERROR event with code
// 410: the resourceVersion is too old) is followed by a new LIST, which replaces the whole cache
// (after the backoff when the first watch from a LIST expired before any event: a server
// answering every watch 410 gets no LISTs back to back). Any other failure (connection refused,
// TLS, 401/403, invalid JSON) is logged once while its kind (libcurl's code and the HTTP status;
// else its message) stays the same, and retried after a backoff that doubles from 1 s to 30 s and
// returns to 1 s at the first event of a watch. The cache keeps its pods meanwhile: an API server
// that goes away stops the updates, never the reading of files.
//
// Memory is bounded: a LIST is read a page (500 pods) at a time, a page or a watch line larger
// than kMaxBody is an error (the request is ended and retried), and the cache is bounded
// (pod_cache.h).
//
// Threads: start() and stop() from the owner's thread; the watcher's own thread does the rest.
// Counters may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "agent/api/metrics.h"
#include "plugins/inputs/tail/kube_client.h"
#include "plugins/inputs/tail/pod_cache.h"
#include "plugins/inputs/tail/pod_metadata.h"

namespace logagent::plugins::tail {

struct PodWatcherCounts {
  std::atomic<uint64_t> lists{0};         // LISTs completed (the first and every relist)
  std::atomic<uint64_t> expired{0};       // watches answered 410 Gone
  std::atomic<uint64_t> events{0};        // watch events applied
  std::atomic<uint64_t> errors{0};        // failed requests (each retried after a backoff)
  std::atomic<uint64_t> metadata_cut{0};  // labels/annotations left out for max_pod_bytes
};

// The same counts as Prometheus series (tail_metrics.h; inert handles by default).
struct PodWatcherMetrics {
  Counter lists, expired, events, errors, metadata_cut, pods_dropped;
  Gauge pods;
};

class PodWatcher {
 public:
  static constexpr size_t kMaxBody = 64u << 20;
  static constexpr size_t kPageSize = 500;

  // `node`: the node whose pods to watch ("" for every pod, bounded by the cache).
  PodWatcher(KubeEndpoint endpoint, std::string node, PodSelection select, PodCache& cache,
             PodWatcherMetrics metrics = {});
  ~PodWatcher();
  PodWatcher(const PodWatcher&) = delete;
  PodWatcher& operator=(const PodWatcher&) = delete;

  void start();
  void stop();  // ends a request in progress and joins the thread; idempotent

  const PodWatcherCounts& counts() const { return counts_; }
  const KubeEndpoint& endpoint() const { return client_.endpoint(); }

  // The request paths (exposed for tests).
  std::string list_path(const std::string& continue_token) const;
  std::string watch_path(const std::string& resource_version) const;

 private:
  enum class WatchEnd { kClosed, kExpired, kFailed };

  void run();
  bool list(std::string& resource_version);
  WatchEnd watch(std::string& resource_version);
  bool handle_line(std::string_view line, std::string& resource_version, WatchEnd& end);
  // Counts and logs (once while `kind`, the message by default, stays the same); false.
  bool failed(const std::string& message, const std::string& kind = {});
  void count_cut(uint64_t cut);
  void cache_changed();
  void backoff();

  KubeClient client_;
  std::string node_;
  PodSelection select_;
  PodCache& cache_;
  PodWatcherCounts counts_;
  PodWatcherMetrics metrics_;
  uint64_t dropped_seen_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::milliseconds backoff_{1000};
  std::string last_error_;  // the kind of the last failure logged
  std::thread thread_;
};

}  // namespace logagent::plugins::tail
