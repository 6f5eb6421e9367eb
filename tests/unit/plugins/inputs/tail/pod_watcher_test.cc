// The requests of the pod watcher (its exchange with a server is tests/e2e/test_kubernetes_api.py).
#include "plugins/inputs/tail/pod_watcher.h"

#include <doctest/doctest.h>

#include <thread>

using namespace logagent;
using namespace logagent::plugins::tail;

TEST_CASE("pod watcher: it lists and watches the pods of its node, values escaped") {
  PodCache cache(10);
  PodWatcher w({"https://127.0.0.1:1", "/nonexistent"}, "node-a", {{"app"}, {}, 4096}, cache);
  CHECK(w.list_path("") == "/api/v1/pods?limit=500&fieldSelector=spec.nodeName%3Dnode-a");
  CHECK(w.list_path("eyJ2+/=") ==
        "/api/v1/pods?limit=500&fieldSelector=spec.nodeName%3Dnode-a&continue=eyJ2%2B%2F%3D");
  CHECK(w.watch_path("1200") ==
        "/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dnode-a&resourceVersion=1200"
        "&allowWatchBookmarks=true&timeoutSeconds=300");
  PodWatcher all({"https://127.0.0.1:1", "/nonexistent"}, "", {{"app"}, {}, 4096}, cache);
  CHECK(all.list_path("") == "/api/v1/pods?limit=500");
}

TEST_CASE("pod watcher: an unreachable server is retried in the background, the cache kept") {
  PodCache cache(10);
  cache.replace({});
  PodWatcher w({"https://127.0.0.1:1", "/nonexistent"}, "n", {{"app"}, {}, 4096}, cache);
  w.start();
  while (w.counts().errors.load() == 0) std::this_thread::yield();
  w.stop();  // ends the backoff at once
  CHECK(w.counts().lists.load() == 0);
  CHECK(cache.ready());
}
