// The pod metadata cache: lists, watch events, bounds, and the fields it gives a file.
#include "plugins/inputs/tail/pod_cache.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace logagent;
using namespace logagent::plugins::tail;

namespace {

PodMetadata pod(std::string ns, std::string name, std::string app, std::string uid = "u") {
  PodMetadata p;
  p.namespace_name = std::move(ns);
  p.name = std::move(name);
  p.uid = std::move(uid);
  p.labels = {{"app", std::move(app)}};
  return p;
}

WatchEvent event(WatchEventType type, PodMetadata p) {
  WatchEvent e;
  e.type = type;
  e.pod = std::move(p);
  return e;
}

}  // namespace

TEST_CASE("pod cache: a list fills it; added, modified and deleted events keep it in step") {
  PodCache cache(10);
  CHECK_FALSE(cache.ready());
  cache.replace({pod("shop", "web-1", "web"), pod("shop", "web-2", "web")});
  CHECK(cache.ready());
  CHECK(cache.size() == 2);
  cache.apply(event(WatchEventType::kAdded, pod("data", "db-0", "db")));
  cache.apply(event(WatchEventType::kModified, pod("shop", "web-1", "web-v2")));
  cache.apply(event(WatchEventType::kDeleted, pod("shop", "web-2", "web")));
  CHECK(cache.size() == 2);
  REQUIRE(cache.find("shop", "web-1"));
  CHECK(cache.find("shop", "web-1")->labels[0].second == "web-v2");
  CHECK(cache.find("data", "db-0"));
  CHECK_FALSE(cache.find("shop", "web-2"));
}

TEST_CASE("pod cache: a relist (after a 410) replaces everything: pods deleted meanwhile go") {
  PodCache cache(10);
  cache.replace({pod("shop", "web-1", "web"), pod("shop", "web-2", "web")});
  // The watch expired; the pods were web-2 (deleted) and web-3 (new) when listed again.
  cache.replace({pod("shop", "web-1", "web"), pod("shop", "web-3", "web")});
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.find("shop", "web-2"));
  CHECK(cache.find("shop", "web-3"));
}

TEST_CASE("pod cache: beyond max_pods new pods are counted, not stored; stored ones update") {
  PodCache cache(2);
  cache.replace({pod("a", "p1", "x"), pod("a", "p2", "x"), pod("a", "p3", "x")});
  CHECK(cache.size() == 2);
  CHECK(cache.dropped() == 1);
  cache.apply(event(WatchEventType::kAdded, pod("a", "p4", "x")));
  CHECK(cache.dropped() == 2);
  cache.apply(event(WatchEventType::kModified, pod("a", "p1", "y")));
  CHECK(cache.find("a", "p1")->labels[0].second == "y");
  cache.apply(event(WatchEventType::kDeleted, pod("a", "p2", "x")));
  cache.apply(event(WatchEventType::kAdded, pod("a", "p4", "x")));  // room again
  CHECK(cache.find("a", "p4"));
  CHECK(cache.size() == 2);
}

TEST_CASE("pod cache: pods a list left out beyond its capacity are counted as dropped") {
  PodCache cache(2);
  CHECK(cache.capacity() == 2);
  cache.replace({pod("shop", "web-1", "web"), pod("shop", "web-2", "web")}, 3);
  CHECK(cache.size() == 2);
  CHECK(cache.dropped() == 3);
  CHECK(cache.ready());
}

TEST_CASE("pod cache: fields are k8s.label.* then k8s.annotation.*, none for another uid") {
  PodCache cache(10);
  PodMetadata p = pod("shop", "web-1", "web", "u-1");
  p.labels.emplace_back("team", "checkout");
  p.annotations = {{"owner", "alice"}};
  cache.replace({p});
  const std::vector<SourceField> f = cache.fields("shop", "web-1");
  REQUIRE(f.size() == 3);
  CHECK(f[0].key == "k8s.label.app");
  CHECK(f[0].value == "web");
  CHECK(f[1].key == "k8s.label.team");
  CHECK(f[2].key == "k8s.annotation.owner");
  CHECK(f[2].value == "alice");
  CHECK(cache.fields("shop", "web-1", "u-1").size() == 3);
  CHECK(cache.fields("shop", "web-1", "u-0").empty());  // an older pod of the same name
  CHECK(cache.fields("shop", "web-9").empty());
}

TEST_CASE("pod cache: wait_ready returns once the first list is in, or after its timeout") {
  PodCache cache(10);
  CHECK_FALSE(cache.wait_ready(std::chrono::milliseconds(1)));
  std::thread filler([&cache] { cache.replace({}); });
  CHECK(cache.wait_ready(std::chrono::minutes(1)));
  filler.join();
}
