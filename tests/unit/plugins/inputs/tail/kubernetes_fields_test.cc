// The source fields of kubelet files, on a kubelet layout made in a temporary directory.
#include "plugins/inputs/tail/kubernetes_fields.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

using namespace logagent;
using namespace logagent::plugins::tail;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> as_map(const std::vector<SourceField>& fields) {
  std::map<std::string, std::string> out;
  for (const SourceField& f : fields) out[f.key] = f.value;
  return out;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "k8sfields.XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("kubernetes fields: a pods file has five fields, the restart count a number") {
  const auto f = kubernetes_source_fields("/var/log/pods/kube-system_dns-1_u1/coredns/2.log");
  REQUIRE(f.size() == 5);
  CHECK(f[0].key == "k8s.namespace");
  CHECK(f[0].value == "kube-system");
  CHECK(f[1].key == "k8s.pod");
  CHECK(f[2].key == "k8s.pod_uid");
  CHECK(f[3].key == "k8s.container");
  CHECK(f[4].key == "k8s.restart_count");
  CHECK(f[4].value == "2");
  CHECK(f[4].type == FieldType::kNumber);
}

TEST_CASE("kubernetes fields: a path outside the layout has none") {
  CHECK(kubernetes_source_fields("/var/log/syslog").empty());
}

TEST_CASE("kubernetes fields: a containers link is read for the uid and restart count") {
  TempDir d;
  const fs::path pod = d.path / "pods" / "ns_web-0_uid-1" / "app";
  fs::create_directories(pod);
  std::ofstream(pod / "1.log") << "x\n";
  fs::create_directories(d.path / "containers");
  const fs::path link = d.path / "containers" / "web-0_ns_app-c0ffee.log";
  fs::create_symlink(pod / "1.log", link);
  auto m = as_map(kubernetes_source_fields(link.string()));
  CHECK(m["k8s.namespace"] == "ns");
  CHECK(m["k8s.pod"] == "web-0");
  CHECK(m["k8s.pod_uid"] == "uid-1");
  CHECK(m["k8s.container"] == "app");
  CHECK(m["k8s.restart_count"] == "1");
  CHECK(m["container_id"] == "c0ffee");

  // A relative link is resolved against its directory.
  const fs::path rel = d.path / "containers" / "web-0_ns_app-beef.log";
  fs::create_symlink("../pods/ns_web-0_uid-1/app/1.log", rel);
  m = as_map(kubernetes_source_fields(rel.string()));
  CHECK(m["k8s.pod_uid"] == "uid-1");
  CHECK(m["container_id"] == "beef");
}

TEST_CASE("kubernetes fields: a containers file that is no link has the fields of its name") {
  TempDir d;
  fs::create_directories(d.path / "containers");
  const fs::path plain = d.path / "containers" / "web-0_ns_app-c0ffee.log";
  std::ofstream(plain) << "x\n";
  auto m = as_map(kubernetes_source_fields(plain.string()));
  CHECK(m.size() == 4);
  CHECK(m["container_id"] == "c0ffee");
  CHECK(m.count("k8s.pod_uid") == 0);
}

TEST_CASE("kubernetes fields: only the keys asked for, in the usual order") {
  const auto f = kubernetes_source_fields("/var/log/pods/ns_p_u/c/2.log",
                                          {"k8s.restart_count", "k8s.namespace", "container_id"});
  REQUIRE(f.size() == 2);  // a pods file has no container id
  CHECK(f[0].key == "k8s.namespace");
  CHECK(f[1].key == "k8s.restart_count");
}

TEST_CASE("kubernetes fields: with a pod cache, the pod's labels follow the path's fields") {
  PodCache cache(10);
  PodMetadata pod;
  pod.namespace_name = "shop";
  pod.name = "web-1";
  pod.uid = "u1";
  pod.labels = {{"app", "web"}};
  pod.annotations = {{"owner", "alice"}};
  cache.replace({pod});
  const auto f = kubernetes_source_fields("/var/log/pods/shop_web-1_u1/app/0.log", {}, &cache);
  const auto m = as_map(f);
  CHECK(f.size() == 7);
  CHECK(f[5].key == "k8s.label.app");
  CHECK(m.at("k8s.label.app") == "web");
  CHECK(m.at("k8s.annotation.owner") == "alice");
  // A pod of the same name but another uid (recreated) is not this file's pod.
  CHECK(kubernetes_source_fields("/var/log/pods/shop_web-1_u0/app/0.log", {}, &cache).size() == 5);
  // `fields` chooses among the path's keys only; the labels are chosen by the api's globs.
  CHECK(kubernetes_source_fields("/var/log/pods/shop_web-1_u1/app/0.log", {"k8s.pod"}, &cache)
            .size() == 3);
}
