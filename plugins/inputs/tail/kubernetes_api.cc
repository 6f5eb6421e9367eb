#include "plugins/inputs/tail/kubernetes_api.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "plugins/inputs/tail/tail_metrics.h"

namespace logagent::plugins::tail {
namespace {

KubeEndpoint endpoint_of(const KubernetesApiOptions& o) {
  return {o.server.empty() ? KubeEndpoint::server_from_env() : o.server, o.service_account_dir};
}

std::string node_of(const KubernetesApiOptions& o) {
  if (!o.node_name.empty()) return o.node_name;
  const char* env = std::getenv("NODE_NAME");
  return env != nullptr ? std::string(env) : std::string();
}

PodSelection selection_of(const KubernetesApiOptions& o) {
  return {o.labels, o.annotations, static_cast<size_t>(o.max_pod_bytes.bytes)};
}

}  // namespace

PodWatcherMetrics pod_watcher_metrics(const MetricsScope& scope) {
  return {scope.counter(kKubeApiLists),  scope.counter(kKubeApiExpired),
          scope.counter(kKubeApiEvents), scope.counter(kKubeApiErrors),
          scope.counter(kKubeApiCut),    scope.counter(kKubeApiDropped),
          scope.gauge(kKubeApiPods)};
}

KubernetesApi::KubernetesApi(const KubernetesApiOptions& options, const MetricsScope& metrics)
    : cache_(static_cast<size_t>(options.max_pods)),
      watcher_(endpoint_of(options), node_of(options), selection_of(options), cache_,
               pod_watcher_metrics(metrics)) {}

std::unique_ptr<KubernetesApi> KubernetesApi::start(const KubernetesApiOptions& options,
                                                    const std::string& pipeline,
                                                    const MetricsScope& metrics,
                                                    std::stop_token stop) {
  std::unique_ptr<KubernetesApi> api(new KubernetesApi(options, metrics));
  const KubeEndpoint& ep = api->watcher_.endpoint();
  if (ep.server.empty()) {
    spdlog::warn(
        "pipeline {}: kubernetes api: no server (KUBERNETES_SERVICE_HOST is unset and "
        "'server' is empty): files get the fields of their paths only",
        pipeline);
    return api;
  }
  const std::string node = node_of(options);
  if (node.empty()) {
    spdlog::warn(
        "pipeline {}: kubernetes api: no node name (NODE_NAME is unset and 'node_name' "
        "is empty): watching every pod of the cluster, at most {} cached",
        pipeline, options.max_pods);
  }
  api->watcher_.start();
  const auto deadline = std::chrono::steady_clock::now() + options.wait.value;
  constexpr std::chrono::milliseconds kSlice{100};
  while (!api->cache_.wait_ready(kSlice) && !stop.stop_requested() &&
         std::chrono::steady_clock::now() < deadline) {
  }
  if (!api->cache_.ready() && !stop.stop_requested()) {
    spdlog::warn(
        "pipeline {}: kubernetes api: no pod list from {} after {} ms: reading starts; "
        "files described before it arrives get the fields of their paths only",
        pipeline, ep.server, options.wait.value.count());
  }
  return api;
}

}  // namespace logagent::plugins::tail
