// The API server's address from the environment the kubelet gives a pod.
#include "plugins/inputs/tail/kube_client.h"

#include <doctest/doctest.h>
#include <stdlib.h>

using namespace logagent::plugins::tail;

TEST_CASE("kube client: the server is https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT") {
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
  CHECK(KubeEndpoint::server_from_env() == "https://10.96.0.1:6443");
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  CHECK(KubeEndpoint::server_from_env() == "https://[fd00::1]:6443");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  CHECK(KubeEndpoint::server_from_env() == "https://[fd00::1]:443");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  CHECK(KubeEndpoint::server_from_env().empty());
}

TEST_CASE("kube client: without a token file no request is made, and the error says where") {
  std::atomic<bool> stop{false};
  KubeClient client({"https://127.0.0.1:1", "/nonexistent/serviceaccount"}, stop);
  bool called = false;
  const KubeClient::Response r = client.get(
      "/api/v1/pods", [&called](std::string_view) { return called = true; },
      std::chrono::seconds(5));
  CHECK_FALSE(called);
  CHECK(r.status == 0);
  CHECK(r.error == "no bearer token in /nonexistent/serviceaccount/token");
}

TEST_CASE("kube client: failures that differ only in figures are of one kind, statuses are not") {
  KubeClient::Response a;
  a.curl_code = 7;  // CURLE_COULDNT_CONNECT
  a.error = "GET /api/v1/pods: Failed to connect to 127.0.0.1 port 1 after 0 ms";
  KubeClient::Response b = a;
  b.error = "GET /api/v1/pods: Failed to connect to 127.0.0.1 port 1 after 8 ms";
  CHECK(a.failure_kind() == b.failure_kind());
  KubeClient::Response forbidden;
  forbidden.curl_code = 22;  // CURLE_HTTP_RETURNED_ERROR
  forbidden.status = 403;
  KubeClient::Response unauthorized = forbidden;
  unauthorized.status = 401;
  CHECK(forbidden.failure_kind() != unauthorized.failure_kind());
  CHECK(forbidden.failure_kind() != a.failure_kind());
}
