// The kubelet's log layout, parsed from paths alone.
#include "plugins/inputs/tail/kubernetes_path.h"

#include <doctest/doctest.h>

using namespace logagent::plugins::tail;

TEST_CASE("kubernetes path: a pods file gives namespace, pod, uid, container and restart count") {
  auto k = parse_kubernetes_path(
      "/var/log/pods/default_web-7d9f8-x2x4z_0b5c6e1a-1111-2222-3333-444455556666/nginx/3.log");
  REQUIRE(k);
  CHECK(k->namespace_name == "default");
  CHECK(k->pod == "web-7d9f8-x2x4z");
  CHECK(k->pod_uid == "0b5c6e1a-1111-2222-3333-444455556666");
  CHECK(k->container == "nginx");
  CHECK(k->container_id.empty());
  CHECK(k->restart_count == 3u);
  CHECK_FALSE(k->is_link_name());
}

TEST_CASE("kubernetes path: names with dashes and dots are kept whole") {
  auto k = parse_kubernetes_path("/x/pods/team-a.prod_api.v2-0_abc/side-car.v1/0.log");
  REQUIRE(k);
  CHECK(k->namespace_name == "team-a.prod");
  CHECK(k->pod == "api.v2-0");
  CHECK(k->pod_uid == "abc");
  CHECK(k->container == "side-car.v1");
  CHECK(k->restart_count == 0u);
}

TEST_CASE("kubernetes path: a rotated file keeps its restart count") {
  auto k = parse_kubernetes_path("/var/log/pods/ns_p_u/c/2.log.20261206-101010");
  REQUIRE(k);
  CHECK(k->restart_count == 2u);
  CHECK(k->container == "c");
  auto gz = parse_kubernetes_path("/var/log/pods/ns_p_u/c/2.log.20261206-101010.gz");
  REQUIRE(gz);
  CHECK(gz->restart_count == 2u);
}

TEST_CASE("kubernetes path: a pods file without a restart number has every other field") {
  for (const char* path :
       {"/var/log/pods/ns_p_u/c/.log", "/var/log/pods/ns_p_u/c/current.log",
        "/var/log/pods/ns_p_u/c/-1.log", "/var/log/pods/ns_p_u/c/99999999999.log"}) {
    CAPTURE(path);
    auto k = parse_kubernetes_path(path);
    REQUIRE(k);
    CHECK(k->namespace_name == "ns");
    CHECK(k->container == "c");
    CHECK_FALSE(k->restart_count.has_value());
  }
}

TEST_CASE("kubernetes path: a containers link gives pod, namespace, container and container id") {
  auto k = parse_kubernetes_path(
      "/var/log/containers/web-7d9f8-x2x4z_default_nginx-proxy-0123456789abcdef.log");
  REQUIRE(k);
  CHECK(k->pod == "web-7d9f8-x2x4z");
  CHECK(k->namespace_name == "default");
  CHECK(k->container == "nginx-proxy");  // the id is after the last dash
  CHECK(k->container_id == "0123456789abcdef");
  CHECK(k->pod_uid.empty());
  CHECK_FALSE(k->restart_count.has_value());
  CHECK(k->is_link_name());
}

TEST_CASE("kubernetes path: other paths are not kubelet paths") {
  for (const char* path : {"/var/log/syslog", "/var/log/app/nginx/0.log", "", "/", "0.log",
                           "/var/log/pods/ns_p_u/c/0.txt",         // not a .log
                           "/var/log/pods/ns_p/c/0.log",           // two parts
                           "/var/log/pods/ns_p_u_x/c/0.log",       // four parts
                           "/var/log/pods/_p_u/c/0.log",           // empty namespace
                           "/var/log/pods/ns_p_u/0.log",           // no container dir
                           "/var/log/other/ns_p_u/c/0.log",        // not under pods
                           "/var/log/pods/ns_p_u/c_d/0.log",       // '_' in a container
                           "/var/log/containers/p_ns_c.log",       // no container id
                           "/var/log/containers/p_ns_c-.log",      // empty container id
                           "/var/log/containers/p_ns_-id.log",     // empty container
                           "/var/log/containers/p_ns_c-id.txt",    // not a .log
                           "/var/log/elsewhere/p_ns_c-id.log"}) {  // not under containers
    CAPTURE(path);
    CHECK_FALSE(parse_kubernetes_path(path).has_value());
  }
}

TEST_CASE("kubernetes path: a relative path is parsed the same way") {
  auto k = parse_kubernetes_path("pods/ns_p_u/c/1.log");
  REQUIRE(k);
  CHECK(k->restart_count == 1u);
  CHECK(parse_kubernetes_path("containers/p_ns_c-id.log").has_value());
}

TEST_CASE("kubernetes path: a link's target adds the pod uid and restart count") {
  auto k = merge_kubernetes_link("/var/log/containers/p-1_ns_app-cid.log",
                                 "/var/log/pods/ns_p-1_uid-9/app/4.log");
  REQUIRE(k);
  CHECK(k->container_id == "cid");
  CHECK(k->pod_uid == "uid-9");
  CHECK(k->restart_count == 4u);
  CHECK(k->namespace_name == "ns");
}

TEST_CASE("kubernetes path: a link's target of another pod or no layout adds nothing") {
  auto other = merge_kubernetes_link("/var/log/containers/p_ns_app-cid.log",
                                     "/var/log/pods/ns_q_uid/app/4.log");
  REQUIRE(other);
  CHECK(other->pod_uid.empty());
  CHECK_FALSE(other->restart_count.has_value());
  auto plain = merge_kubernetes_link("/var/log/containers/p_ns_app-cid.log", "/data/x.log");
  REQUIRE(plain);
  CHECK(plain->container_id == "cid");
  CHECK_FALSE(merge_kubernetes_link("/var/log/pods/ns_p_u/c/0.log", "/x").has_value());
}
