#include "plugins/inputs/tail/pod_cache.h"

#include <utility>

namespace logagent::plugins::tail {

std::string PodCache::key(std::string_view namespace_name, std::string_view pod) {
  std::string k;
  k.reserve(namespace_name.size() + 1 + pod.size());
  k.append(namespace_name).append("/").append(pod);
  return k;
}

void PodCache::store(PodMetadata pod) {
  std::string k = key(pod.namespace_name, pod.name);
  auto it = pods_.find(k);
  if (it != pods_.end()) {
    it->second = std::move(pod);
  } else if (pods_.size() < max_pods_) {
    pods_.emplace(std::move(k), std::move(pod));
  } else {
    ++dropped_;
  }
}

void PodCache::replace(std::vector<PodMetadata> pods, uint64_t left_out) {
  {
    std::lock_guard lock(mu_);
    dropped_ += left_out;
    pods_.clear();
    for (PodMetadata& p : pods) store(std::move(p));
    ready_ = true;
  }
  ready_cv_.notify_all();
}

void PodCache::apply(const WatchEvent& event) {
  std::lock_guard lock(mu_);
  switch (event.type) {
    case WatchEventType::kAdded:
    case WatchEventType::kModified:
      store(event.pod);
      break;
    case WatchEventType::kDeleted:
      pods_.erase(key(event.pod.namespace_name, event.pod.name));
      break;
    case WatchEventType::kBookmark:
    case WatchEventType::kError:
      break;
  }
}

std::optional<PodMetadata> PodCache::find(std::string_view namespace_name,
                                          std::string_view pod) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(key(namespace_name, pod));
  if (it == pods_.end()) return std::nullopt;
  return it->second;
}

std::vector<SourceField> PodCache::fields(std::string_view namespace_name, std::string_view pod,
                                          std::string_view uid) const {
  std::vector<SourceField> out;
  std::lock_guard lock(mu_);
  auto it = pods_.find(key(namespace_name, pod));
  if (it == pods_.end() || (!uid.empty() && it->second.uid != uid)) return out;
  const PodMetadata& p = it->second;
  out.reserve(p.labels.size() + p.annotations.size());
  for (const auto& [k, v] : p.labels) out.push_back({"k8s.label." + k, v, FieldType::kString});
  for (const auto& [k, v] : p.annotations) {
    out.push_back({"k8s.annotation." + k, v, FieldType::kString});
  }
  return out;
}

size_t PodCache::size() const {
  std::lock_guard lock(mu_);
  return pods_.size();
}

uint64_t PodCache::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

bool PodCache::ready() const {
  std::lock_guard lock(mu_);
  return ready_;
}

bool PodCache::wait_ready(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return ready_cv_.wait_for(lock, timeout, [this] { return ready_; });
}

}  // namespace logagent::plugins::tail
