// Fuzz target: the kubelet layout parser of the tail input (plugins/inputs/tail/kubernetes_path.h)
// on any bytes taken as a path, and as a /var/log/containers link with any target.
//
// Checks: every field views the path (no copy, nothing past its end); namespace, pod and
// container are non-empty and hold no '_' or '/'; a link name has a container id, a pods file a
// pod uid; the restart count, when set, is the decimal number of the file's name; the namespace
// and pod filter agrees with the parse; merging a link with a target keeps the link's names.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "plugins/inputs/tail/kubernetes_options.h"
#include "plugins/inputs/tail/kubernetes_path.h"

namespace {

namespace tail = logagent::plugins::tail;

bool within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_name(std::string_view name, std::string_view path, const char* what) {
  FUZZ_CHECK(!name.empty(), std::string(what) + " is empty");
  FUZZ_CHECK(within(name, path), std::string(what) + " does not view the path");
  FUZZ_CHECK(name.find('_') == std::string_view::npos, std::string(what) + " holds '_'");
  FUZZ_CHECK(name.find('/') == std::string_view::npos, std::string(what) + " holds '/'");
}

void check_path(std::string_view path) {
  const auto k = tail::parse_kubernetes_path(path);
  tail::KubernetesOptions filter;
  filter.enabled = true;
  filter.namespaces.exclude = {"*"};
  if (!k) {
    FUZZ_CHECK(filter.admits(path), "a path outside the layout was filtered");
    return;
  }
  FUZZ_CHECK(!filter.admits(path), "a kubelet path escaped an exclude of every namespace");
  check_name(k->namespace_name, path, "namespace");
  check_name(k->pod, path, "pod");
  check_name(k->container, path, "container");
  FUZZ_CHECK(within(k->pod_uid, path) && within(k->container_id, path), "id outside the path");
  FUZZ_CHECK(k->is_link_name() != !k->pod_uid.empty(), "a link with a uid, or a file without");
  if (k->restart_count) {
    const size_t slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    std::string_view stem = name.substr(0, name.find(".log"));
    FUZZ_CHECK(!stem.empty() && stem.find_first_not_of("0123456789") == std::string_view::npos,
               "a restart count from a name that is not a number");
    while (stem.size() > 1 && stem.front() == '0') stem.remove_prefix(1);
    FUZZ_CHECK(stem == std::to_string(*k->restart_count), "restart count is not the file's");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_path(bytes);
  // The first line as a link name under containers/, the rest as its target.
  const size_t nl = bytes.find('\n');
  const std::string link = "/var/log/containers/" + std::string(bytes.substr(0, nl));
  const std::string_view target = nl == std::string_view::npos ? "" : bytes.substr(nl + 1);
  check_path(link);
  const auto merged = tail::merge_kubernetes_link(link, target);
  const auto alone = tail::parse_kubernetes_path(link);
  FUZZ_CHECK(merged.has_value() == (alone && alone->is_link_name()), "merge changed the layout");
  if (merged) {
    FUZZ_CHECK(merged->pod == alone->pod && merged->namespace_name == alone->namespace_name &&
                   merged->container == alone->container &&
                   merged->container_id == alone->container_id,
               "merge changed the link's names");
  }
  return 0;
}
