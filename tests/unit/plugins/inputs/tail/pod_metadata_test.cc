// The parsers of the API server's pod LIST responses and WATCH events (recorded shapes).
#include "plugins/inputs/tail/pod_metadata.h"

#include <doctest/doctest.h>

#include <string>

using namespace logagent;
using namespace logagent::plugins::tail;

namespace {

const char* const kPod = R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1",
  "namespace":"shop","uid":"u-1","resourceVersion":"1200",
  "labels":{"app":"web","team":"checkout","pod-template-hash":"7d9f8"},
  "annotations":{"owner":"alice","kubectl.kubernetes.io/last-applied-configuration":"{...}"}},
  "spec":{"nodeName":"node-a","containers":[{"name":"app"}]},"status":{"phase":"Running"}})";

PodSelection app_and_team() { return {{"app", "team"}, {"owner"}, 4096}; }

}  // namespace

TEST_CASE("pod metadata: a watch event keeps only the selected labels and annotations") {
  const std::string line = std::string(R"({"type":"ADDED","object":)") + kPod + "}";
  Result<WatchEvent> e = parse_watch_event(line, app_and_team());
  REQUIRE(e);
  CHECK(e->type == WatchEventType::kAdded);
  CHECK(e->pod.namespace_name == "shop");
  CHECK(e->pod.name == "web-1");
  CHECK(e->pod.uid == "u-1");
  CHECK(e->resource_version == "1200");
  CHECK(e->pod.labels == MetadataEntries{{"app", "web"}, {"team", "checkout"}});
  CHECK(e->pod.annotations == MetadataEntries{{"owner", "alice"}});
  CHECK(e->pod.cut == 0);
}

TEST_CASE("pod metadata: selections are globs over the keys") {
  const std::string line = std::string(R"({"type":"MODIFIED","object":)") + kPod + "}";
  Result<WatchEvent> e = parse_watch_event(line, {{"*"}, {"kubectl.kubernetes.io/*"}, 4096});
  REQUIRE(e);
  CHECK(e->type == WatchEventType::kModified);
  CHECK(e->pod.labels.size() == 3);
  REQUIRE(e->pod.annotations.size() == 1);
  CHECK(e->pod.annotations[0].first == "kubectl.kubernetes.io/last-applied-configuration");
}

TEST_CASE("pod metadata: entries beyond max_bytes are left out and counted") {
  const std::string line = std::string(R"({"type":"ADDED","object":)") + kPod + "}";
  // "app"+"web" = 6 bytes fit in 10; "team"+"checkout" (12) and "owner"+"alice" (10) do not.
  Result<WatchEvent> e = parse_watch_event(line, {{"app", "team"}, {"owner"}, 10});
  REQUIRE(e);
  CHECK(e->pod.labels == MetadataEntries{{"app", "web"}});
  CHECK(e->pod.annotations.empty());
  CHECK(e->pod.cut == 2);
}

TEST_CASE("pod metadata: a deleted event names the pod; a bookmark only a resourceVersion") {
  const std::string del = std::string(R"({"type":"DELETED","object":)") + kPod + "}";
  Result<WatchEvent> d = parse_watch_event(del, app_and_team());
  REQUIRE(d);
  CHECK(d->type == WatchEventType::kDeleted);
  CHECK(d->pod.name == "web-1");
  Result<WatchEvent> b = parse_watch_event(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"1300"}}})",
      app_and_team());
  REQUIRE(b);
  CHECK(b->type == WatchEventType::kBookmark);
  CHECK(b->resource_version == "1300");
}

TEST_CASE("pod metadata: an ERROR event carries the Status code (410: expired)") {
  Result<WatchEvent> e = parse_watch_event(
      R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",)"
      R"j("message":"too old resource version: 1200 (1500)","reason":"Expired","code":410}})j",
      app_and_team());
  REQUIRE(e);
  CHECK(e->type == WatchEventType::kError);
  CHECK(e->code == 410);
  CHECK(e->message == "too old resource version: 1200 (1500)");
}

TEST_CASE("pod metadata: invalid JSON, an unknown type and a pod without a name are errors") {
  CHECK_FALSE(parse_watch_event("{\"type\":", app_and_team()));
  CHECK_FALSE(parse_watch_event(R"({"type":"RENAMED","object":{}})", app_and_team()));
  CHECK_FALSE(parse_watch_event(R"({"type":"ADDED","object":{"metadata":{}}})", app_and_team()));
  CHECK_FALSE(parse_watch_event(R"({"object":{}})", app_and_team()));
}

TEST_CASE("pod metadata: a list has its pods, its resourceVersion and its continue token") {
  const std::string body = std::string(R"({"kind":"PodList","apiVersion":"v1","metadata":)") +
                           R"({"resourceVersion":"1500","continue":"eyJ2Ijoi"},"items":[)" + kPod +
                           "," + R"({"metadata":{"name":"db-0","namespace":"data"}}]})";
  Result<PodList> list = parse_pod_list(body, app_and_team());
  REQUIRE(list);
  CHECK(list->resource_version == "1500");
  CHECK(list->continue_token == "eyJ2Ijoi");
  REQUIRE(list->pods.size() == 2);
  CHECK(list->pods[0].labels.size() == 2);
  CHECK(list->pods[1].name == "db-0");
  CHECK(list->pods[1].labels.empty());
  CHECK_FALSE(parse_pod_list(R"({"kind":"Status","code":403})", app_and_team()));
}
