// PodCache: the pods of this node as the API server last described them (pod_metadata.h), found
// by namespace and name, for the source fields of the files the kubelet writes for them.
//
// Filled by a PodWatcher: replace() with the result of a LIST (the whole set, e.g. again after a
// watch's resourceVersion expired: pods deleted meanwhile are gone), then apply() with each WATCH
// event (ADDED and MODIFIED insert or replace, DELETED removes). Bounded: at most `max_pods`
// pods; a pod beyond that is not stored and is counted in dropped() (a pod already stored is
// still updated). Each pod's labels and annotations were bounded when parsed (PodSelection).
//
// ready() turns true at the first replace() and stays true; wait_ready() lets the input wait a
// bounded time for it before its first files are described.
//
// Threads: every member is thread-safe (one mutex; lookups copy what they return).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/api/batch.h"
#include "plugins/inputs/tail/pod_metadata.h"

namespace logagent::plugins::tail {

class PodCache {
 public:
  explicit PodCache(size_t max_pods) : max_pods_(max_pods) {}

  // `left_out`: pods of the same list not even collected (beyond capacity()), counted as dropped.
  void replace(std::vector<PodMetadata> pods, uint64_t left_out = 0);
  void apply(const WatchEvent& event);  // kAdded, kModified, kDeleted; others are ignored

  std::optional<PodMetadata> find(std::string_view namespace_name, std::string_view pod) const;
  // The source fields k8s.label.<key> and k8s.annotation.<key> of the pod, none when it is not
  // cached or when `uid` is given and is not the cached pod's (an older pod of the same name).
  std::vector<SourceField> fields(std::string_view namespace_name, std::string_view pod,
                                  std::string_view uid = {}) const;

  size_t capacity() const { return max_pods_; }
  size_t size() const;
  uint64_t dropped() const;  // pods not stored for max_pods, in total
  bool ready() const;
  bool wait_ready(std::chrono::milliseconds timeout) const;

 private:
  static std::string key(std::string_view namespace_name, std::string_view pod);
  void store(PodMetadata pod);  // mu_ held

  const size_t max_pods_;
  mutable std::mutex mu_;
  mutable std::condition_variable ready_cv_;
  std::unordered_map<std::string, PodMetadata> pods_;  // by "<namespace>/<name>"
  uint64_t dropped_ = 0;
  bool ready_ = false;
};

}  // namespace logagent::plugins::tail
