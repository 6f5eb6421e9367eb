// HttpServer: the agent's small HTTP listener (civetweb), serving the metrics endpoint and the
// operational routes: GET /metrics, GET /healthz, GET /ready, POST /-/reload.
//
// Routes are exact paths with one method each; anything else gets 404 (unknown path) or 405
// (wrong method). Handlers run on civetweb's worker threads (two, plus those set_stream_threads()
// adds), so they must be thread-safe and quick; a request body is read up to 64 KiB.
//
// A stream route (GET /tap) answers with a body that ends with the connection, written as it
// comes; its handler holds a worker thread for as long as it streams, so its owner admits at most
// as many streams as set_stream_threads() added threads, and the two others stay free for
// /metrics, /healthz and /ready. A write to a client that stopped reading fails after
// request_timeout_ms (10 s), and within civetweb's poll quantum (1-2 s) once the server stops
// (measured: SIGTERM with a stalled tap client, the agent exited 0 in 1.9 s). Stopping wakes
// civetweb's listener at once (it otherwise polls with a 1-2 s quantum), so shutdown and --once
// exits are not delayed.
//
// Threads: start/stop from one thread; handlers on the server's threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/status.h"

struct mg_context;
struct mg_connection;

namespace logagent {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// A request as a stream handler sees it.
struct HttpRequest {
  std::string path;
  std::string query;        // after '?', undecoded; "" when none
  std::string remote_addr;  // the peer's IP address ("127.0.0.1", "::1")
};

// Where a stream handler writes: either one complete reply, or begin() then write()s.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // A complete response (an error before anything was streamed).
  virtual void reply(const HttpResponse& response) = 0;
  // The head of a 200 response whose body ends when the connection closes.
  virtual bool begin(const std::string& content_type) = 0;
  // False once the client is gone (or stopped reading for the request timeout), or the server
  // stops.
  virtual bool write(std::string_view data) = 0;
};

// Whether `addr` (an IP address as text) is a loopback address: 127.0.0.0/8, ::1, or
// ::ffff:127.x.y.z.
bool is_loopback_address(std::string_view addr);

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const std::string& body)>;
  using StreamHandler = std::function<void(const HttpRequest& request, HttpStream& stream)>;

  // Registers `handler` for `method` `path` (e.g. "GET", "/metrics"); before start().
  void route(const std::string& method, const std::string& path, Handler handler);
  // Registers a stream handler for GET `path`; before start().
  void stream_route(const std::string& path, StreamHandler handler);
  // Worker threads added to the two for stream routes; before start().
  void set_stream_threads(int n) { stream_threads_ = n; }
  // Listens on "host:port"; the error names the address and the cause.
  Status start(const std::string& address);
  void stop();
  ~HttpServer();
  // The ports listened on (after start).
  std::vector<int> ports() const;

 private:
  static int dispatch(mg_connection* conn, void* self);

  std::map<std::string, std::map<std::string, Handler>> routes_;  // path → method → handler
  std::map<std::string, StreamHandler> streams_;                  // GET path → handler
  int stream_threads_ = 0;
  mg_context* ctx_ = nullptr;
};

}  // namespace logagent
