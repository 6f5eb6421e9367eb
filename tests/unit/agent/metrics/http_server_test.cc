#include "agent/metrics/http_server.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/metrics/process_metrics.h"

using namespace logagent;

namespace {

// One HTTP/1.0 request; returns the whole response.
std::string request(int port, const std::string& method, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  const std::string req = method + " " + path + " HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

}  // namespace

TEST_CASE("http server: routes by path and method; 404 and 405 otherwise") {
  HttpServer server;
  int calls = 0;
  server.route("GET", "/hello", [&](const std::string&) {
    ++calls;
    return HttpResponse{200, "text/plain", "hi\n"};
  });
  server.route("POST", "/-/reload", [](const std::string&) {
    return HttpResponse{400, "text/plain", "refused\n"};
  });
  REQUIRE(server.start("127.0.0.1:0").is_ok());
  REQUIRE(server.ports().size() == 1);
  const int port = server.ports()[0];
  REQUIRE(port > 0);
  const std::string ok = request(port, "GET", "/hello");
  CHECK(ok.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(ok.find("\r\n\r\nhi\n") != std::string::npos);
  CHECK(calls == 1);
  CHECK(request(port, "GET", "/nope").rfind("HTTP/1.1 404", 0) == 0);
  CHECK(request(port, "GET", "/hello/more").rfind("HTTP/1.1 404", 0) == 0);
  const std::string wrong = request(port, "GET", "/-/reload");
  CHECK(wrong.rfind("HTTP/1.1 405", 0) == 0);
  CHECK(wrong.find("Allow: POST\r\n") != std::string::npos);
  CHECK(request(port, "POST", "/-/reload").find("refused") != std::string::npos);
  server.stop();
  server.stop();  // idempotent
}

TEST_CASE("http server: a stream route writes its body as it comes, with the query and the peer") {
  HttpServer server;
  server.stream_route("/tap", [](const HttpRequest& r, HttpStream& out) {
    if (r.query == "refuse") return out.reply({503, "text/plain", "busy\n"});
    REQUIRE(out.begin("application/x-ndjson"));
    out.write(r.query + "\n");
    out.write(r.remote_addr + "\n");
  });
  REQUIRE(server.start("127.0.0.1:0").is_ok());
  const int port = server.ports()[0];
  const std::string streamed = request(port, "GET", "/tap?pipeline=app&stage=1");
  CHECK(streamed.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(streamed.find("Content-Length") == std::string::npos);  // the body ends with the connection
  CHECK(streamed.find("\r\n\r\npipeline=app&stage=1\n127.0.0.1\n") != std::string::npos);
  CHECK(request(port, "GET", "/tap?refuse").rfind("HTTP/1.1 503", 0) == 0);
  CHECK(request(port, "POST", "/tap").rfind("HTTP/1.1 405", 0) == 0);
}

TEST_CASE("http server: routes keep answering while every stream thread holds a stream") {
  HttpServer server;
  std::mutex mu;
  std::condition_variable cv;
  int streaming = 0;
  bool release = false;
  server.stream_route("/tap", [&](const HttpRequest&, HttpStream& out) {
    out.begin("text/plain");
    std::unique_lock lock(mu);
    ++streaming;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  server.route("GET", "/metrics", [](const std::string&) {
    return HttpResponse{200, "text/plain", "up 1\n"};
  });
  server.set_stream_threads(2);
  REQUIRE(server.start("127.0.0.1:0").is_ok());
  const int port = server.ports()[0];
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i) clients.emplace_back([port] { request(port, "GET", "/tap"); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return streaming == 2; });
  }
  for (int i = 0; i < 3; ++i)
    CHECK(request(port, "GET", "/metrics").find("up 1") != std::string::npos);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (auto& c : clients) c.join();
}

TEST_CASE("http server: a busy address is an error naming it") {
  HttpServer a;
  REQUIRE(a.start("127.0.0.1:0").is_ok());
  const std::string taken = "127.0.0.1:" + std::to_string(a.ports()[0]);
  HttpServer b;
  const Status st = b.start(taken);
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.message().find("cannot listen on " + taken) != std::string::npos);
}

TEST_CASE("process metrics: /proc/self is read") {
  ProcessSample s;
  REQUIRE(read_process_sample(s));
  CHECK(s.rss_bytes > 1024 * 1024);
  CHECK(s.threads >= 1);
  CHECK(s.open_fds >= 3);
  CHECK(s.max_fds >= s.open_fds);
  CHECK(s.start_time_seconds > 1.6e9);
  CHECK(s.cpu_seconds >= 0);
}
