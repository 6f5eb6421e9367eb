// KubeClient: HTTPS GET requests to the Kubernetes API server with the pod's service account,
// streaming the response body to a callback (a WATCH never ends by itself).
//
// Built on libcurl (TLS, CA verification, chunked bodies, timeouts). The bearer token is read
// from the service account directory at every request (the kubelet rotates projected tokens) and
// is never logged: error messages name the request path, never its headers.
//
// Threads: one request at a time per client (the PodWatcher's thread); `stop` may be set from
// another thread and ends a request in progress within about a second.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace logagent::plugins::tail {

struct KubeEndpoint {
  std::string server;               // "https://host:port"
  std::string service_account_dir;  // holds token, ca.crt, namespace

  // KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT as "https://host:port" ("" when unset).
  static std::string server_from_env();
};

class KubeClient {
 public:
  // Called with each piece of the body as it arrives; false ends the request (kAborted).
  using OnData = std::function<bool(std::string_view)>;

  struct Response {
    long status = 0;    // the HTTP status; 0 when there was none (error says why)
    std::string error;  // transport errors, "" otherwise
    int curl_code = 0;  // libcurl's CURLcode: what failed, without the details of `error`
    bool aborted = false;

    // What failed, the same for failures that differ only in figures ("after 8 ms"): for
    // logging a failure once, not once per retry.
    std::string failure_kind() const;
  };

  KubeClient(KubeEndpoint endpoint, const std::atomic<bool>& stop);

  // GET `path` (with its query). `timeout`: the whole request, at most.
  Response get(const std::string& path, const OnData& on_data, std::chrono::seconds timeout) const;

  const KubeEndpoint& endpoint() const { return endpoint_; }

 private:
  KubeEndpoint endpoint_;
  const std::atomic<bool>& stop_;
};

}  // namespace logagent::plugins::tail
