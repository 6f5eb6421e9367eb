// A minimal blocking HTTP/1.1 GET client: what `logagent top` scrapes the agent's /metrics with.
//
// One request per connection ("Connection: close"), over TCP to a host given by name or address
// (IPv4 or IPv6), bounded by one deadline for connect, send and receive together. The body is read
// by Content-Length, chunked transfer coding, or to the end of the stream; it is capped at
// kMaxBodyBytes. Not for the data plane: errors are Status values that name the URL and the cause
// ("connection refused", "timed out after 2000 ms", "HTTP 404").
//
// Threads: any; no shared state.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "agent/api/status.h"

namespace logagent::top {

inline constexpr size_t kMaxBodyBytes = 64u << 20;

struct HttpUrl {
  std::string host;  // without brackets for IPv6
  int port = 80;
  std::string path = "/";

  std::string to_string() const;
};

// Parses "http://HOST[:PORT][/PATH]" (the scheme may be left out; [v6] addresses in brackets).
Result<HttpUrl> parse_http_url(std::string_view url);

// The URL of /metrics on a listener address "HOST:PORT" as written in metrics.listen; a wildcard
// host (0.0.0.0, [::], empty) is reached on loopback.
Result<HttpUrl> metrics_url_of_listen(std::string_view listen);

// GETs `url`; the body when the status is 200.
Result<std::string> http_get(const HttpUrl& url, std::chrono::milliseconds timeout);

// Connects to `url` and sends its GET request; the connected socket (non-blocking, close-on-exec;
// the caller closes it), for a caller that reads a streamed response itself (`logagent tap`).
Result<int> http_open(const HttpUrl& url, std::chrono::milliseconds timeout);

// Splits a complete HTTP/1.x response into its body (for tests: http_get's parsing step).
Result<std::string> http_response_body(std::string_view response);

}  // namespace logagent::top
