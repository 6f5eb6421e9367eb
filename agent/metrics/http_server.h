// HttpServer: the agent's small HTTP listener (civetweb), serving the metrics endpoint and the
// operational routes: GET /metrics, GET /healthz, GET /ready, POST /-/reload.
//
// Routes are exact paths with one method each; anything else gets 404 (unknown path) or 405
// (wrong method). Handlers run on civetweb's worker threads (two), so they must be thread-safe
// and quick; a request body is read up to 64 KiB. Stopping wakes civetweb's listener at once
// (it otherwise polls with a 1-2 s quantum), so shutdown and --once exits are not delayed.
//
// Threads: start/stop from one thread; handlers on the server's threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
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

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const std::string& body)>;

  // Registers `handler` for `method` `path` (e.g. "GET", "/metrics"); before start().
  void route(const std::string& method, const std::string& path, Handler handler);
  // Listens on "host:port"; the error names the address and the cause.
  Status start(const std::string& address);
  void stop();
  ~HttpServer();
  // The ports listened on (after start).
  std::vector<int> ports() const;

 private:
  static int dispatch(mg_connection* conn, void* self);

  std::map<std::string, std::map<std::string, Handler>> routes_;  // path → method → handler
  mg_context* ctx_ = nullptr;
};

}  // namespace logagent
