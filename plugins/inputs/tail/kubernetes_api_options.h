// KubernetesApiOptions: the `api:` block of the tail input's `kubernetes:` options -- labels and
// annotations of each file's pod, from the Kubernetes API server (pod_watcher.h), as the source
// fields k8s.label.<key> and k8s.annotation.<key>. Off by default.
//
//   kubernetes:
//     api:
//       enabled: true
//       labels: ["app", "team", "app.kubernetes.io/*"]   # fnmatch globs over label keys
//       annotations: ["owner"]
//
// The server is https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT unless `server` says
// otherwise; the credentials (token, ca.crt) come from `service_account_dir`; only the pods of
// `node_name` (default: $NODE_NAME, which the DaemonSet sets from spec.nodeName) are watched.
//
// Threads: plain values; bound on one thread, read-only afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/options.h"

namespace logagent::plugins::tail {

struct KubernetesApiOptions {
  static constexpr std::string_view kTypeName = "bool or map";

  bool enabled = false;
  std::vector<std::string> labels;
  std::vector<std::string> annotations;
  std::string server;  // "" : from KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::string node_name;  // "" : $NODE_NAME
  uint64_t max_pods = 2000;
  ByteSize max_pod_bytes{4096};
  Duration wait{std::chrono::seconds(5)};

  static const Schema<KubernetesApiOptions>& schema();
};

bool read_value(const ConfigNode& node, KubernetesApiOptions& out, Diagnostics& diag);
std::string format_value(const KubernetesApiOptions& v);

}  // namespace logagent::plugins::tail
