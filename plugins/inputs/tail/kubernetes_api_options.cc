#include "plugins/inputs/tail/kubernetes_api_options.h"

#include <optional>

namespace logagent::plugins::tail {
namespace {

std::optional<std::string> check(const KubernetesApiOptions& o) {
  for (const std::string& g : o.labels) {
    if (g.empty()) return "'labels' must not contain an empty glob";
  }
  for (const std::string& g : o.annotations) {
    if (g.empty()) return "'annotations' must not contain an empty glob";
  }
  if (o.enabled && o.labels.empty() && o.annotations.empty()) {
    return "'labels' and 'annotations' are both empty: the API would add nothing";
  }
  if (o.max_pods == 0) return "'max_pods' must be at least 1";
  if (!o.server.empty() && !o.server.starts_with("https://")) {
    return "'server' must be an https:// URL";
  }
  return std::nullopt;
}

}  // namespace

const Schema<KubernetesApiOptions>& KubernetesApiOptions::schema() {
  static const Schema<KubernetesApiOptions> s = [] {
    Schema<KubernetesApiOptions> schema;
    schema.field("enabled", &KubernetesApiOptions::enabled, "Watch the API server's pods.")
        .field("labels", &KubernetesApiOptions::labels,
               "Globs over label keys: each match becomes k8s.label.<key>.")
        .field("annotations", &KubernetesApiOptions::annotations,
               "Globs over annotation keys: each match becomes k8s.annotation.<key>.")
        .field("server", &KubernetesApiOptions::server,
               "https://host:port; empty: $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT.")
        .field("service_account_dir", &KubernetesApiOptions::service_account_dir,
               "Directory of the bearer token (token) and the server's CA (ca.crt).")
        .field("node_name", &KubernetesApiOptions::node_name,
               "Watch only this node's pods; empty: $NODE_NAME, else every pod.")
        .field("max_pods", &KubernetesApiOptions::max_pods,
               "Pods cached, at most (more are counted, not cached).")
        .field("max_pod_bytes", &KubernetesApiOptions::max_pod_bytes,
               "Label and annotation bytes kept per pod, at most (more are counted, cut).")
        .field("wait", &KubernetesApiOptions::wait,
               "At start, how long reading waits for the first pod list, at most.")
        .rule(check);
    return schema;
  }();
  return s;
}

bool read_value(const ConfigNode& node, KubernetesApiOptions& out, Diagnostics& diag) {
  KubernetesApiOptions o;
  if (node.is_scalar()) {
    if (!read_value(node, o.enabled, diag)) return false;
    if (o.enabled) {
      diag.error(node, "'api: true' selects nothing: give {enabled: true, labels: [...]}");
      return false;
    }
  } else if (!node.is_map()) {
    diag.error(node, "expected a map such as {enabled: true, labels: [\"app\"]}");
    return false;
  } else if (!KubernetesApiOptions::schema().bind(node, o, diag)) {
    return false;
  }
  out = std::move(o);
  return true;
}

std::string format_value(const KubernetesApiOptions& v) {
  if (!v.enabled) return "false";
  std::string out = "{enabled: true";
  if (!v.labels.empty()) out += ", labels: " + logagent::format_value(v.labels);
  if (!v.annotations.empty()) out += ", annotations: " + logagent::format_value(v.annotations);
  return out + "}";
}

}  // namespace logagent::plugins::tail
