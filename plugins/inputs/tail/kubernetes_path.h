// KubernetesPath: what the kubelet's log layout says about a file, from its path alone.
//
// The kubelet writes each container's output to
//   .../pods/<namespace>_<pod>_<pod uid>/<container>/<restart count>.log
// (rotated by renaming to <restart count>.log.<timestamp>, e.g. 0.log.20261206-101010), and
// links each running container's current file from
//   .../containers/<pod>_<namespace>_<container>-<container id>.log
// Namespaces, pod names, uids and container names never contain '_' (DNS labels, subdomains and
// UUIDs), so '_' splits them; the container id is the text after the link name's last '-'.
// The parent directory must be named "pods" or "containers" (it may sit anywhere, e.g. under a
// hostPath mounted elsewhere); any other path is not a kubelet path. A pods file whose name is
// not <digits>.log[.<suffix>] but still ends in .log (or has .log.<suffix>) has every field but
// the restart count.
//
// Threads: pure functions; the views point into the parsed path.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace logagent::plugins::tail {

struct KubernetesPath {
  std::string_view namespace_name;
  std::string_view pod;
  std::string_view pod_uid;  // empty for a containers link (not in its name)
  std::string_view container;
  std::string_view container_id;  // empty for a pods file (not in its path)
  std::optional<uint32_t> restart_count;

  bool is_link_name() const { return !container_id.empty(); }
};

// The metadata in `path`, or nullopt when it is not a kubelet path.
std::optional<KubernetesPath> parse_kubernetes_path(std::string_view path);

// The metadata of a file reached at `path`, which the kubelet's link `link` (a containers path)
// pointed at when the file was opened: the link's container id with the target's pod uid and
// restart count. nullopt when `link` is not a containers link.
std::optional<KubernetesPath> merge_kubernetes_link(std::string_view link, std::string_view target);

}  // namespace logagent::plugins::tail
