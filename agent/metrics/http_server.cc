#include "agent/metrics/http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

namespace logagent {
namespace {

constexpr size_t kMaxBody = 64 * 1024;

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 403:
      return "Forbidden";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void send(mg_connection* conn, const HttpResponse& r, const std::string& allow = {}) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sCache-Control: "
            "no-store\r\nConnection: close\r\n\r\n",
            r.status, reason(r.status), r.content_type.c_str(), r.body.size(),
            allow.empty() ? "" : ("Allow: " + allow + "\r\n").c_str());
  if (!r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
}

class CivetStream final : public HttpStream {
 public:
  explicit CivetStream(mg_connection* conn) : conn_(conn) {}
  void reply(const HttpResponse& response) override {
    if (!begun_) send(conn_, response);
    begun_ = true;
    status_ = response.status;
  }
  bool begin(const std::string& content_type) override {
    if (begun_) return false;
    begun_ = true;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: " + content_type +
                             "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
    return write(head);
  }
  bool write(std::string_view data) override {
    if (failed_) return false;
    // mg_write returns the bytes written, or 0/-1 (peer gone, timed out, server stopping).
    failed_ =
        !data.empty() && mg_write(conn_, data.data(), data.size()) != static_cast<int>(data.size());
    return !failed_;
  }
  int status() const { return status_; }

 private:
  mg_connection* conn_;
  bool begun_ = false;
  bool failed_ = false;
  int status_ = 200;
};

}  // namespace

bool is_loopback_address(std::string_view addr) {
  if (addr.starts_with("::ffff:")) addr.remove_prefix(7);
  return addr.starts_with("127.") || addr == "::1";
}

void HttpServer::stream_route(const std::string& path, StreamHandler handler) {
  streams_[path] = std::move(handler);
}

void HttpServer::route(const std::string& method, const std::string& path, Handler handler) {
  routes_[path][method] = std::move(handler);
}

int HttpServer::dispatch(mg_connection* conn, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string path = ri->local_uri != nullptr ? ri->local_uri : "";
  const std::string method = ri->request_method != nullptr ? ri->request_method : "";
  if (auto st = server->streams_.find(path); st != server->streams_.end()) {
    if (method != "GET") {
      send(conn, {405, "text/plain; charset=utf-8", "method not allowed\n"}, "GET");
      return 405;
    }
    CivetStream stream(conn);
    const HttpRequest request{path, ri->query_string != nullptr ? ri->query_string : "",
                              ri->remote_addr};
    try {
      st->second(request, stream);
    } catch (const std::exception& e) {
      stream.reply({500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"});
    }
    return stream.status();
  }
  auto it = server->routes_.find(path);
  if (it == server->routes_.end()) {
    send(conn, {404, "text/plain; charset=utf-8", "not found\n"});
    return 404;
  }
  auto h = it->second.find(method);
  if (h == it->second.end()) {
    std::string allow;
    for (const auto& [m, fn] : it->second) allow += (allow.empty() ? "" : ", ") + m;
    send(conn, {405, "text/plain; charset=utf-8", "method not allowed\n"}, allow);
    return 405;
  }
  std::string body;
  if (ri->content_length > static_cast<long long>(kMaxBody)) {
    send(conn, {413, "text/plain; charset=utf-8", "body too large\n"});
    return 413;
  }
  char buf[4096];
  for (int n; body.size() < kMaxBody && (n = mg_read(conn, buf, sizeof(buf))) > 0;) {
    body.append(buf, static_cast<size_t>(n));
  }
  HttpResponse r;
  try {
    r = h->second(body);
  } catch (const std::exception& e) {
    r = {500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
  }
  send(conn, r);
  return r.status;
}

Status HttpServer::start(const std::string& address) {
  static std::once_flag library;
  std::call_once(library, [] { mg_init_library(0); });
  const std::string threads = std::to_string(2 + stream_threads_);
  const char* options[] = {"listening_ports",    address.c_str(), "num_threads", threads.c_str(),
                           "request_timeout_ms", "10000",         nullptr};
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  // civetweb prints errors to stderr unless told otherwise: report them through the Status.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  mg_init_data init{&callbacks, this, options};
  unsigned code = 0;
  char text[256] = {0};
  mg_error_data error{&code, text, sizeof(text)};
  ctx_ = mg_start2(&init, &error);
  if (ctx_ == nullptr) {
    return Status::error("metrics: cannot listen on " + address + ": " +
                         (text[0] != 0 ? std::string(text) : "unknown error"));
  }
  // One handler for every path (a prefix match on "/"): dispatch() routes, and civetweb never
  // serves files.
  mg_set_request_handler(ctx_, "/", &HttpServer::dispatch, this);
  return Status::ok();
}

std::vector<int> HttpServer::ports() const {
  std::vector<int> out;
  if (ctx_ == nullptr) return out;
  mg_server_port p[4];
  const int n = mg_get_server_ports(ctx_, 4, p);
  for (int i = 0; i < n; ++i) out.push_back(p[i].port);
  return out;
}

void HttpServer::stop() {
  if (ctx_ == nullptr) return;
  // civetweb's listener polls with a long quantum; connecting to our own ports wakes it at once.
  const std::vector<int> listening = ports();
  std::atomic<bool> stopped{false};
  std::thread waker([&] {
    while (!stopped.load()) {
      for (int port : listening) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
        ::close(fd);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  mg_stop(ctx_);
  ctx_ = nullptr;
  stopped = true;
  waker.join();
}

HttpServer::~HttpServer() { stop(); }

}  // namespace logagent
