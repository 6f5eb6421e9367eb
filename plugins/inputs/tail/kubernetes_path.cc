#include "plugins/inputs/tail/kubernetes_path.h"

#include <array>
#include <charconv>

namespace logagent::plugins::tail {
namespace {

constexpr std::string_view kLog = ".log";

// The last component of `path` and what comes before its '/' ("" when there is none).
std::string_view pop_component(std::string_view& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    const std::string_view last = path;
    path = {};
    return last;
  }
  const std::string_view last = path.substr(slash + 1);
  path = path.substr(0, slash);
  return last;
}

// `text` split at its two '_' into three non-empty parts; false when it has not exactly two.
bool split3(std::string_view text, std::array<std::string_view, 3>& out) {
  const size_t a = text.find('_');
  if (a == std::string_view::npos) return false;
  const size_t b = text.find('_', a + 1);
  if (b == std::string_view::npos || text.find('_', b + 1) != std::string_view::npos) return false;
  out = {text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
  return !out[0].empty() && !out[1].empty() && !out[2].empty();
}

// "<stem>.log" or "<stem>.log.<suffix>": the stem, or nullopt.
std::optional<std::string_view> log_stem(std::string_view name) {
  if (name.ends_with(kLog)) return name.substr(0, name.size() - kLog.size());
  const size_t at = name.find(".log.");
  if (at == std::string_view::npos) return std::nullopt;
  return name.substr(0, at);
}

std::optional<uint32_t> restart_number(std::string_view stem) {
  uint32_t n = 0;
  const char* end = stem.data() + stem.size();
  const auto [p, ec] = std::from_chars(stem.data(), end, n);
  if (stem.empty() || ec != std::errc() || p != end) return std::nullopt;
  return n;
}

std::optional<KubernetesPath> parse_pods_file(std::string_view dir, std::string_view name) {
  const std::optional<std::string_view> stem = log_stem(name);
  if (!stem) return std::nullopt;
  const std::string_view container = pop_component(dir);
  const std::string_view pod_dir = pop_component(dir);
  if (pop_component(dir) != "pods") return std::nullopt;
  std::array<std::string_view, 3> parts;
  if (container.empty() || container.find('_') != std::string_view::npos ||
      !split3(pod_dir, parts)) {
    return std::nullopt;
  }
  KubernetesPath k;
  k.namespace_name = parts[0];
  k.pod = parts[1];
  k.pod_uid = parts[2];
  k.container = container;
  k.restart_count = restart_number(*stem);
  return k;
}

std::optional<KubernetesPath> parse_link_name(std::string_view dir, std::string_view name) {
  if (pop_component(dir) != "containers" || !name.ends_with(kLog)) return std::nullopt;
  std::array<std::string_view, 3> parts;
  if (!split3(name.substr(0, name.size() - kLog.size()), parts)) return std::nullopt;
  const size_t dash = parts[2].rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == parts[2].size()) {
    return std::nullopt;
  }
  KubernetesPath k;
  k.pod = parts[0];
  k.namespace_name = parts[1];
  k.container = parts[2].substr(0, dash);
  k.container_id = parts[2].substr(dash + 1);
  return k;
}

}  // namespace

std::optional<KubernetesPath> parse_kubernetes_path(std::string_view path) {
  std::string_view dir = path;
  const std::string_view name = pop_component(dir);
  if (name.empty()) return std::nullopt;
  if (auto link = parse_link_name(dir, name)) return link;
  return parse_pods_file(dir, name);
}

std::optional<KubernetesPath> merge_kubernetes_link(std::string_view link,
                                                    std::string_view target) {
  std::optional<KubernetesPath> k = parse_kubernetes_path(link);
  if (!k || !k->is_link_name()) return std::nullopt;
  const std::optional<KubernetesPath> t = parse_kubernetes_path(target);
  // The link names the pod and container; a target of another pod is not the kubelet's doing.
  if (t && !t->is_link_name() && t->namespace_name == k->namespace_name && t->pod == k->pod &&
      t->container == k->container) {
    k->pod_uid = t->pod_uid;
    k->restart_count = t->restart_count;
  }
  return k;
}

}  // namespace logagent::plugins::tail
