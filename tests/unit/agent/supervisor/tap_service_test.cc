#include "agent/supervisor/tap_service.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace logagent;

namespace {

// What a handler wrote; write() fails once `fail_after` writes were made (client gone).
class FakeStream final : public HttpStream {
 public:
  void reply(const HttpResponse& r) override {
    std::lock_guard lock(mu);
    status = r.status;
    body = r.body;
  }
  bool begin(const std::string&) override {
    std::lock_guard lock(mu);
    status = 200;
    return true;
  }
  bool write(std::string_view data) override {
    std::lock_guard lock(mu);
    if (writes >= fail_after) return false;
    ++writes;
    body += data;
    return true;
  }
  std::string text() {
    std::lock_guard lock(mu);
    return body;
  }
  std::mutex mu;
  int status = 0;
  std::string body;
  int writes = 0;
  int fail_after = 1 << 30;
};

HttpRequest request(std::string query, std::string peer = "127.0.0.1") {
  return HttpRequest{"/tap", std::move(query), std::move(peer)};
}

struct Fixture {
  Fixture() {
    service.set_idle_write_ms(10);
    service.publish({{"app", app}, {"web", web}});
  }
  std::shared_ptr<TapHub> app = std::make_shared<TapHub>(std::vector<std::string>{"json"});
  std::shared_ptr<TapHub> web = std::make_shared<TapHub>(std::vector<std::string>{});
  TapService service{nullptr};
};

BatchPtr batch_of(std::vector<std::string>& texts) {
  auto b = std::make_unique<Batch>();
  b->source = std::make_shared<SourceInfo>("/a.log");
  for (const auto& t : texts) b->events.push_back({t, 0, 0, 0});
  return b;
}

void wait_until(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!cond()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

TEST_CASE("a tap from a peer that is not on loopback is refused") {
  Fixture f;
  FakeStream s;
  f.service.serve(request("pipeline=app", "10.1.2.3"), s);
  CHECK(s.status == 403);
  CHECK(s.body.find("10.1.2.3 is not a loopback address") != std::string::npos);
  for (const char* peer : {"127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"}) {
    CHECK(is_loopback_address(peer));
  }
  CHECK_FALSE(is_loopback_address("::ffff:10.0.0.1"));
  CHECK_FALSE(is_loopback_address("192.168.1.1"));
}

TEST_CASE("a tap of an unknown pipeline names the pipelines that run") {
  Fixture f;
  FakeStream s;
  f.service.serve(request("pipeline=nope"), s);
  CHECK(s.status == 404);
  CHECK(s.body == "tap: unknown pipeline 'nope'; running pipelines: app, web\n");
}

TEST_CASE("a tap of a stage out of range names the pipeline's stages") {
  Fixture f;
  FakeStream s;
  f.service.serve(request("pipeline=app&stage=2"), s);
  CHECK(s.status == 400);
  CHECK(s.body.find("has no stage 2; its stages: 1: json (--stage takes 0") != std::string::npos);
  FakeStream bad;
  f.service.serve(request("pipeline=app&rate=0"), bad);
  CHECK(bad.status == 400);
}

TEST_CASE("a tap streams its start, the sampled events and its end up to the limit") {
  Fixture f;
  FakeStream s;
  std::thread client([&] { f.service.serve(request("pipeline=app&stage=1&limit=2"), s); });
  wait_until([&] { return f.app->active(1); });
  std::vector<std::string> texts{"a", "b", "c"};
  const BatchPtr b = batch_of(texts);
  f.app->offer(1, *b);
  client.join();
  const std::string body = s.text();
  CHECK(body.starts_with(
      "{\"tap_start\":{\"pipeline\":\"app\",\"stage\":1,\"after\":\"json\"}}\n{\"time\":"));
  CHECK(body.find("\"message\":\"a\"") != std::string::npos);
  CHECK(body.find("\"message\":\"c\"") == std::string::npos);
  CHECK(body.find("{\"tap_end\":{\"reason\":\"limit reached\",\"seen\":3,\"sent\":2,") !=
        std::string::npos);
  CHECK_FALSE(f.app->active(1));
}

TEST_CASE("a tap whose client is gone detaches from its pipeline") {
  Fixture f;
  FakeStream s;
  s.fail_after = 2;  // the head and the start line; the first empty line fails
  f.service.serve(request("pipeline=web"), s);
  CHECK_FALSE(f.web->active(0));
  CHECK(f.web->sessions().empty());
}

TEST_CASE("at most kMaxTaps taps stream at once; the next one is told to wait") {
  Fixture f;
  std::vector<std::unique_ptr<FakeStream>> streams;
  std::vector<std::thread> clients;
  for (size_t i = 0; i < TapService::kMaxTaps; ++i)
    streams.push_back(std::make_unique<FakeStream>());
  for (auto& s : streams) {
    clients.emplace_back(
        [&f, stream = s.get()] { f.service.serve(request("pipeline=web"), *stream); });
  }
  wait_until([&] { return f.web->sessions().size() == TapService::kMaxTaps; });
  FakeStream extra;
  f.service.serve(request("pipeline=app"), extra);
  CHECK(extra.status == 503);
  CHECK(extra.body.find("taps are attached already") != std::string::npos);
  f.web->close("pipeline stopped");
  for (auto& c : clients) c.join();
  for (auto& s : streams) {
    CHECK(s->text().find("{\"tap_end\":{\"reason\":\"pipeline stopped\"") != std::string::npos);
  }
  CHECK(f.web->sessions().empty());
}

TEST_CASE("stopping the tap service ends every stream and refuses new ones") {
  Fixture f;
  FakeStream s;
  std::thread client([&] { f.service.serve(request("pipeline=app&stage=0"), s); });
  wait_until([&] { return f.app->active(0); });
  f.service.stop_all();
  client.join();
  CHECK(s.text().find("\"reason\":\"agent stopping\"") != std::string::npos);
  FakeStream late;
  f.service.serve(request("pipeline=app"), late);
  CHECK(late.status == 503);
}
