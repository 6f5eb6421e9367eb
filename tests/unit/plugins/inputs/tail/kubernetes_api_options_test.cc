// The `api:` block of the tail input's `kubernetes:` options.
#include "plugins/inputs/tail/kubernetes_api_options.h"

#include <doctest/doctest.h>

#include "plugins/inputs/tail/tail_options.h"

using namespace logagent;
using namespace logagent::plugins::tail;

namespace {

std::optional<TailOptions> bind(const std::string& yaml, Diagnostics& diag) {
  auto node = ConfigNode::parse(yaml, nullptr, diag);
  if (!node) return std::nullopt;
  TailOptions o;
  if (!TailOptions::schema().bind(*node, o, diag)) return std::nullopt;
  return o;
}

}  // namespace

TEST_CASE(
    "kubernetes api options: the api is off by default and takes label and annotation globs") {
  Diagnostics diag;
  auto off = bind("paths: [a]\nkubernetes: true", diag);
  REQUIRE(off);
  CHECK_FALSE(off->kubernetes.api.enabled);
  auto on = bind(
      "paths: [a]\nkubernetes:\n  api: {enabled: true, labels: [app, team], "
      "annotations: [owner], node_name: n1, max_pods: 10, max_pod_bytes: 1KiB, wait: 1s}",
      diag);
  REQUIRE(on);
  CHECK(on->kubernetes.enabled);
  const KubernetesApiOptions& api = on->kubernetes.api;
  CHECK(api.enabled);
  CHECK(api.labels == std::vector<std::string>{"app", "team"});
  CHECK(api.annotations == std::vector<std::string>{"owner"});
  CHECK(api.node_name == "n1");
  CHECK(api.max_pods == 10);
  CHECK(api.max_pod_bytes.bytes == 1024);
  CHECK(api.service_account_dir == "/var/run/secrets/kubernetes.io/serviceaccount");
  CHECK(diag.errors().empty());
}

TEST_CASE(
    "kubernetes api options: an api that selects nothing or names no https server is an error") {
  Diagnostics diag;
  CHECK_FALSE(bind("paths: [a]\nkubernetes: {api: {enabled: true}}", diag));
  CHECK_FALSE(bind("paths: [a]\nkubernetes: {api: true}", diag));
  CHECK_FALSE(
      bind("paths: [a]\nkubernetes: {api: {enabled: true, labels: [a], server: http://x}}", diag));
  CHECK(diag.errors().size() >= 3);
}
