// kubernetes_source_fields: the source fields (SourceInfo::fields) of a file the kubelet wrote,
// made once per file when its first batch is emitted (never per line):
//   k8s.namespace, k8s.pod, k8s.pod_uid, k8s.container, k8s.restart_count (a number),
//   container_id
// each only when the path says it (kubernetes_path.h). For a /var/log/containers link, the link
// is read (one readlink(2)) for the pod uid and restart count of the file it points at.
//
// Threads: any; the only state is the file system's.
#pragma once

#include <string>
#include <vector>

#include "agent/api/batch.h"
#include "plugins/inputs/tail/pod_cache.h"

namespace logagent::plugins::tail {

// Empty when `path` is not a kubelet path. `keys`: only those (empty: all).
std::vector<SourceField> kubernetes_source_fields(const std::string& path,
                                                  const std::vector<std::string>& keys = {},
                                                  const PodCache* pods = nullptr);

}  // namespace logagent::plugins::tail
