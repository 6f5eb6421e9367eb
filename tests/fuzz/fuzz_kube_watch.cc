// Fuzz target: the Kubernetes API parsers of the tail input (plugins/inputs/tail/pod_metadata.h)
// on any bytes taken as a WATCH event line and as a pod LIST body, and the pod cache fed with
// what they parse.
//
// Checks: the selected labels and annotations of a pod fit max_bytes (keys plus values), every
// kept key is selected, and the entries left out are counted when the selection is "*"; the
// cache never holds more than max_pods pods, and counts the pods it did not store.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "plugins/inputs/tail/pod_cache.h"
#include "plugins/inputs/tail/pod_metadata.h"

namespace {

namespace tail = logagent::plugins::tail;

constexpr size_t kMaxBytes = 64;
constexpr size_t kMaxPods = 3;

void check_pod(const tail::PodMetadata& pod) {
  size_t bytes = 0;
  for (const auto& [k, v] : pod.labels) bytes += k.size() + v.size();
  for (const auto& [k, v] : pod.annotations) {
    FUZZ_CHECK(k == "owner", "an annotation that was not selected was kept");
    bytes += k.size() + v.size();
  }
  FUZZ_CHECK(bytes <= kMaxBytes, "a pod's selected entries exceed max_bytes");
  FUZZ_CHECK(!pod.name.empty(), "a pod without a name was parsed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const tail::PodSelection select{{"*"}, {"owner"}, kMaxBytes};
  tail::PodCache cache(kMaxPods);
  if (auto list = tail::parse_pod_list(bytes, select)) {
    std::set<std::string> distinct;
    for (const tail::PodMetadata& p : list->pods) {
      check_pod(p);
      distinct.insert(p.namespace_name + "/" + p.name);
    }
    cache.replace(std::move(list->pods));
    FUZZ_CHECK(cache.size() == std::min(distinct.size(), kMaxPods),
               "the cache does not hold the first max_pods distinct pods");
    FUZZ_CHECK(cache.size() + cache.dropped() >= distinct.size(),
               "pods neither stored nor counted");
  }
  if (auto event = tail::parse_watch_event(bytes, select)) {
    if (event->type == tail::WatchEventType::kAdded ||
        event->type == tail::WatchEventType::kModified ||
        event->type == tail::WatchEventType::kDeleted) {
      check_pod(event->pod);
    }
    cache.apply(*event);
    FUZZ_CHECK(cache.size() <= kMaxPods, "the cache holds more than max_pods");
  }
  return 0;
}
