#include "plugins/inputs/tail/kubernetes_fields.h"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>

#include "plugins/inputs/tail/kubernetes_path.h"
#include "plugins/inputs/tail/path_scanner.h"

namespace logagent::plugins::tail {
namespace {

// Where the link at `path` points (resolved against its directory when relative), or "".
std::string link_target(const std::string& path) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) return {};
  std::string target(buf, static_cast<size_t>(n));
  if (target.front() != '/') target = dir_name(path) + "/" + target;
  return target;
}

}  // namespace

std::vector<SourceField> kubernetes_source_fields(const std::string& path,
                                                  const std::vector<std::string>& keys,
                                                  const PodCache* pods) {
  std::optional<KubernetesPath> k = parse_kubernetes_path(path);
  if (!k) return {};
  std::string target;
  if (k->is_link_name()) {
    target = link_target(path);
    if (!target.empty()) k = merge_kubernetes_link(path, target);
  }
  std::vector<SourceField> out;
  out.reserve(6);
  const auto add = [&out, &keys](std::string_view key, std::string_view value,
                                 FieldType type = FieldType::kString) {
    if (value.empty()) return;
    if (!keys.empty() && std::find(keys.begin(), keys.end(), key) == keys.end()) return;
    out.push_back({std::string(key), std::string(value), type});
  };
  add("k8s.namespace", k->namespace_name);
  add("k8s.pod", k->pod);
  add("k8s.pod_uid", k->pod_uid);
  add("k8s.container", k->container);
  if (k->restart_count) {
    add("k8s.restart_count", std::to_string(*k->restart_count), FieldType::kNumber);
  }
  add("container_id", k->container_id);
  if (pods != nullptr) {
    std::vector<SourceField> meta = pods->fields(k->namespace_name, k->pod, k->pod_uid);
    out.insert(out.end(), std::make_move_iterator(meta.begin()),
               std::make_move_iterator(meta.end()));
  }
  return out;
}

}  // namespace logagent::plugins::tail
