// The `kubernetes:` block of the tail input: binding and the namespace/pod filter.
#include "plugins/inputs/tail/kubernetes_options.h"

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

TEST_CASE("kubernetes options: off by default, `true` turns the metadata on without a filter") {
  Diagnostics diag;
  auto off = bind("paths: [a]", diag);
  REQUIRE(off);
  CHECK_FALSE(off->kubernetes.enabled);
  auto on = bind("paths: [a]\nkubernetes: true", diag);
  REQUIRE(on);
  CHECK(on->kubernetes.enabled);
  CHECK_FALSE(on->kubernetes.filters());
  CHECK(format_value(on->kubernetes) == "true");
}

TEST_CASE("kubernetes options: a map turns it on and filters namespaces and pods") {
  Diagnostics diag;
  auto o = bind(
      "paths: [a]\nkubernetes:\n  namespaces: {exclude: [kube-system]}\n"
      "  pods: {include: ['web-*'], exclude: ['*-canary']}",
      diag);
  REQUIRE(o);
  const KubernetesOptions& k = o->kubernetes;
  CHECK(k.enabled);
  CHECK(k.filters());
  CHECK(k.admits("/var/log/pods/default_web-1_u/c/0.log"));
  CHECK_FALSE(k.admits("/var/log/pods/kube-system_web-1_u/c/0.log"));
  CHECK_FALSE(k.admits("/var/log/pods/default_api-1_u/c/0.log"));         // not included
  CHECK_FALSE(k.admits("/var/log/pods/default_web-1-canary_u/c/0.log"));  // excluded
  CHECK_FALSE(k.admits("/var/log/containers/web-1_kube-system_c-id.log"));
  CHECK(k.admits("/var/log/containers/web-1_default_c-id.log"));
  CHECK(k.admits("/var/log/syslog"));  // not a kubelet path: not filtered
  CHECK(format_value(k) ==
        "{namespaces: {exclude: [\"kube-system\"]}, pods: {include: [\"web-*\"], exclude: "
        "[\"*-canary\"]}}");
}

TEST_CASE("kubernetes options: unknown keys and wrong shapes are errors at their position") {
  Diagnostics diag;
  CHECK_FALSE(bind("paths: [a]\nkubernetes: {namespace: {exclude: [x]}}", diag));
  REQUIRE_FALSE(diag.errors().empty());
  CHECK(diag.errors().back().find("did you mean 'namespaces'") != std::string::npos);
  Diagnostics d2;
  CHECK_FALSE(bind("paths: [a]\nkubernetes: [x]", d2));
  Diagnostics d3;
  CHECK_FALSE(bind("paths: [a]\nkubernetes: {pods: {exclude: ['']}}", d3));
  Diagnostics d4;
  CHECK_FALSE(bind("paths: [a]\nkubernetes: {pods: [x]}", d4));
}

TEST_CASE("kubernetes options: fields chooses the keys set, and an unknown one is an error") {
  Diagnostics diag;
  auto o = bind("paths: [a]\nkubernetes: {fields: [k8s.namespace, k8s.pod]}", diag);
  REQUIRE(o);
  CHECK(o->kubernetes.enabled);
  CHECK_FALSE(o->kubernetes.filters());
  CHECK(o->kubernetes.fields == std::vector<std::string>{"k8s.namespace", "k8s.pod"});
  CHECK(format_value(o->kubernetes) == "{fields: [\"k8s.namespace\", \"k8s.pod\"]}");
  Diagnostics bad;
  CHECK_FALSE(bind("paths: [a]\nkubernetes: {fields: [k8s.node]}", bad));
  REQUIRE_FALSE(bad.errors().empty());
  CHECK(bad.errors().back().find("'k8s.node' is not one of: k8s.namespace,") != std::string::npos);
}
