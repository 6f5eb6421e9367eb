#include "agent/top/http_get.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "agent/metrics/http_server.h"

using namespace logagent;
using namespace logagent::top;
using namespace std::chrono_literals;

namespace {

// A socket listening on a free loopback port; nothing accepts or answers unless a test does.
struct SilentListener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int port = 0;
  SilentListener() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd); }
};

}  // namespace

TEST_CASE("http get: fetches a body from the agent's HTTP server, and names a 404") {
  HttpServer server;
  server.route("GET", "/metrics", [](const std::string&) {
    return HttpResponse{200, "text/plain", "up 1\n"};
  });
  REQUIRE(server.start("127.0.0.1:0").is_ok());
  HttpUrl url{"127.0.0.1", server.ports()[0], "/metrics"};
  auto body = http_get(url, 2s);
  REQUIRE(body.is_ok());
  CHECK(*body == "up 1\n");
  url.path = "/nope";
  auto missing = http_get(url, 2s);
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.message().find("HTTP 404") != std::string::npos);
  CHECK(missing.message().find("/nope") != std::string::npos);
}

TEST_CASE("http get: a port nobody listens on is 'connection refused', with the URL") {
  int port = 0;
  {
    SilentListener gone;  // a port that was free a moment ago
    port = gone.port;
  }
  auto r = http_get(HttpUrl{"127.0.0.1", port, "/metrics"}, 2s);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.message().find("refused") != std::string::npos);
  CHECK(r.message().find("http://127.0.0.1:" + std::to_string(port)) == 0);
}

TEST_CASE("http get: a server that never answers times out at the deadline") {
  SilentListener silent;
  auto r = http_get(HttpUrl{"127.0.0.1", silent.port, "/metrics"}, 100ms);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.message().find("timed out") != std::string::npos);
}

TEST_CASE("http get: a server that keeps the connection open is read up to its Content-Length") {
  SilentListener listener;
  std::thread server([&] {
    const int conn = ::accept(listener.fd, nullptr, nullptr);
    REQUIRE(conn >= 0);
    char buf[1024];
    REQUIRE(::read(conn, buf, sizeof buf) > 0);
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nup 1\n";
    REQUIRE(::write(conn, response.data(), response.size()) ==
            static_cast<ssize_t>(response.size()));
    while (::read(conn, buf, sizeof buf) > 0) {
    }  // open until the client closes
    ::close(conn);
  });
  auto r = http_get(HttpUrl{"127.0.0.1", listener.port, "/metrics"}, 30s);
  server.join();
  REQUIRE(r.is_ok());
  CHECK(*r == "up 1\n");
}

TEST_CASE("http get: a response's body by Content-Length, chunks, or to its end") {
  auto cl = http_response_body("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef");
  REQUIRE(cl.is_ok());
  CHECK(*cl == "abc");
  auto chunked = http_response_body(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: "
      "chunked\r\n\r\n3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n");
  REQUIRE(chunked.is_ok());
  CHECK(*chunked == "abc0123456789");
  auto to_end = http_response_body("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it");
  REQUIRE(to_end.is_ok());
  CHECK(*to_end == "all of it");
  CHECK_FALSE(http_response_body("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").is_ok());
  CHECK_FALSE(
      http_response_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab").is_ok());
  CHECK_FALSE(http_response_body("garbage").is_ok());
  auto err = http_response_body("HTTP/1.1 503 Service Unavailable\r\n\r\n");
  REQUIRE_FALSE(err.is_ok());
  CHECK(err.message() == "HTTP 503 Service Unavailable");
}

TEST_CASE("http get: URLs and listen addresses") {
  auto u = parse_http_url("http://localhost:9464/metrics");
  REQUIRE(u.is_ok());
  CHECK(u->host == "localhost");
  CHECK(u->port == 9464);
  CHECK(u->path == "/metrics");
  auto v6 = parse_http_url("[::1]:8080");
  REQUIRE(v6.is_ok());
  CHECK(v6->host == "::1");
  CHECK(v6->to_string() == "http://[::1]:8080/");
  auto bare = parse_http_url("http://example");
  REQUIRE(bare.is_ok());
  CHECK(bare->port == 80);
  CHECK_FALSE(parse_http_url("https://x/metrics").is_ok());
  CHECK_FALSE(parse_http_url("http://x:99999/").is_ok());
  CHECK_FALSE(parse_http_url("http://:80/").is_ok());

  auto any = metrics_url_of_listen("0.0.0.0:9464");
  REQUIRE(any.is_ok());
  CHECK(any->to_string() == "http://127.0.0.1:9464/metrics");
  auto any6 = metrics_url_of_listen("[::]:9");
  REQUIRE(any6.is_ok());
  CHECK(any6->to_string() == "http://[::1]:9/metrics");
  CHECK_FALSE(metrics_url_of_listen("127.0.0.1").is_ok());
}
