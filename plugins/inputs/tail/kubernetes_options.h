// KubernetesOptions: the `kubernetes:` block of the tail input -- metadata from the kubelet's log
// layout (kubernetes_path.h) on every event, and which namespaces and pods to read.
//
//   kubernetes: true
//   kubernetes:
//     namespaces: {exclude: ["kube-system"]}
//     pods: {include: ["web-*", "api-*"], exclude: ["*-canary-*"]}
//     fields: [k8s.namespace, k8s.pod, k8s.container]   # default: all six
//     api: {enabled: true, labels: ["app"]}   # labels and annotations (kubernetes_api_options.h)
//
// A map turns the metadata on. `include` and `exclude` are fnmatch globs over the namespace name
// and the pod name: a kubelet file is read when its namespace and its pod each match an include
// (an empty one includes all) and no exclude. Files that are not kubelet paths are not filtered
// and get no metadata. read_value() and format_value() are found by argument-dependent lookup
// from Schema<TailOptions>::field.
//
// Threads: plain values; bound on one thread, read-only afterwards.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/options.h"
#include "plugins/inputs/tail/kubernetes_api_options.h"

namespace logagent::plugins::tail {

// include/exclude globs over one kind of name.
struct NameGlobs {
  static constexpr std::string_view kTypeName = "map";

  std::vector<std::string> include;
  std::vector<std::string> exclude;

  bool empty() const { return include.empty() && exclude.empty(); }
  bool admits(std::string_view name) const;
  static const Schema<NameGlobs>& schema();
};

bool read_value(const ConfigNode& node, NameGlobs& out, Diagnostics& diag);
std::string format_value(const NameGlobs& v);

struct KubernetesOptions {
  static constexpr std::string_view kTypeName = "bool or map";

  bool enabled = false;
  NameGlobs namespaces;
  NameGlobs pods;
  std::vector<std::string> fields;  // the metadata keys to set; empty: all of kKeys
  KubernetesApiOptions api;         // labels and annotations from the API server

  // Every key the metadata may set, in the order it sets them.
  static constexpr std::array<std::string_view, 6> kKeys = {"k8s.namespace",     "k8s.pod",
                                                            "k8s.pod_uid",       "k8s.container",
                                                            "k8s.restart_count", "container_id"};

  // The file at `path` is to be read: not a kubelet path, or one whose namespace and pod are
  // admitted. Always true when the metadata is off.
  bool admits(std::string_view path) const;
  bool filters() const { return enabled && !(namespaces.empty() && pods.empty()); }
  static const Schema<KubernetesOptions>& schema();
};

bool read_value(const ConfigNode& node, KubernetesOptions& out, Diagnostics& diag);
std::string format_value(const KubernetesOptions& v);

}  // namespace logagent::plugins::tail
