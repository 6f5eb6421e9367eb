#include "plugins/inputs/tail/kube_client.h"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

namespace logagent::plugins::tail {
namespace {

std::string read_token(const std::string& dir) {
  std::ifstream in(dir + "/token");
  std::stringstream s;
  s << in.rdbuf();
  std::string token = s.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  return token;
}

struct Transfer {
  const KubeClient::OnData* on_data;
  const std::atomic<bool>* stop;
  bool aborted = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (!(*t->on_data)(std::string_view(data, n))) {
    t->aborted = true;
    return 0;  // curl ends the transfer (CURLE_WRITE_ERROR)
  }
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->stop->load(std::memory_order_relaxed) ? 1 : 0;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::string KubeEndpoint::server_from_env() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0') return {};
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // an IPv6 address
  return "https://" + h + ":" + (port != nullptr && *port != '\0' ? port : "443");
}

std::string KubeClient::Response::failure_kind() const {
  return "curl " + std::to_string(curl_code) + ", HTTP " + std::to_string(status);
}

KubeClient::KubeClient(KubeEndpoint endpoint, const std::atomic<bool>& stop)
    : endpoint_(std::move(endpoint)), stop_(stop) {
  init_curl_once();
}

KubeClient::Response KubeClient::get(const std::string& path, const OnData& on_data,
                                     std::chrono::seconds timeout) const {
  Response r;
  const std::string token = read_token(endpoint_.service_account_dir);
  if (token.empty()) {
    r.error = "no bearer token in " + endpoint_.service_account_dir + "/token";
    return r;
  }
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) {
    r.error = "curl_easy_init failed";
    return r;
  }
  const std::string url = endpoint_.server + path;
  const std::string ca = endpoint_.service_account_dir + "/ca.crt";
  const std::string auth = "Authorization: Bearer " + token;
  std::unique_ptr<curl_slist, CurlFree> headers(
      curl_slist_append(curl_slist_append(nullptr, auth.c_str()), "Accept: application/json"));
  Transfer t{&on_data, &stop_};
  char error[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);  // a 4xx/5xx body is not data
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.curl_code = static_cast<int>(rc);
  r.aborted = t.aborted || stop_.load(std::memory_order_relaxed);
  if (rc != CURLE_OK && !r.aborted) {
    r.error = "GET " + path + ": " + (error[0] != '\0' ? error : curl_easy_strerror(rc));
  }
  return r;
}

}  // namespace logagent::plugins::tail
