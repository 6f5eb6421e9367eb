#include "agent/pipeline/tap_hub.h"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace logagent;

namespace {

BatchPtr one_event_batch(std::string_view message) {
  auto b = std::make_unique<Batch>();
  b->source = std::make_shared<SourceInfo>("/a.log");
  b->events.push_back({message, 0, 0, 0});
  return b;
}

}  // namespace

TEST_CASE("a tap hub has one point before the stages and one after each") {
  TapHub hub({"json", "add_fields"});
  CHECK(hub.points() == 3);
  for (size_t p = 0; p < hub.points(); ++p) CHECK_FALSE(hub.active(p));
  CHECK_FALSE(hub.attach(3, TapLimits{}).is_ok());
}

TEST_CASE("a tap point is active only while a session is attached to it") {
  TapHub hub({"json"});
  auto s = hub.attach(1, TapLimits{});
  REQUIRE(s.is_ok());
  CHECK_FALSE(hub.active(0));
  CHECK(hub.active(1));
  hub.detach(*s, "client gone");
  CHECK_FALSE(hub.active(1));
  CHECK((*s)->reason() == "client gone");
  CHECK(hub.sessions().empty());
}

TEST_CASE("a tap hub offers a batch only to the sessions of its point") {
  TapHub hub({"json"});
  auto before = hub.attach(0, TapLimits{});
  auto after = hub.attach(1, TapLimits{});
  REQUIRE(before.is_ok());
  REQUIRE(after.is_ok());
  const BatchPtr b = one_event_batch("hello");
  hub.offer(1, *b);
  CHECK((*before)->counts().seen == 0);
  CHECK((*after)->counts().taken == 1);
  hub.detach(*before, "client gone");
  hub.detach(*after, "client gone");
}

TEST_CASE("closing a tap hub ends its sessions and refuses new ones with the reason") {
  TapHub hub({});
  auto s = hub.attach(0, TapLimits{});
  REQUIRE(s.is_ok());
  hub.close("pipeline stopped");
  CHECK(hub.closed());
  std::string out;
  CHECK_FALSE((*s)->take(out, std::chrono::milliseconds(0)));
  CHECK((*s)->reason() == "pipeline stopped");
  auto late = hub.attach(0, TapLimits{});
  REQUIRE_FALSE(late.is_ok());
  CHECK(late.message() == "pipeline stopped");
  hub.detach(*s, "client gone");
}

TEST_CASE("sessions attach and detach while several lanes offer batches") {
  TapHub hub({"json"});
  std::atomic<bool> stop{false};
  const BatchPtr b = one_event_batch("x");
  std::vector<std::thread> lanes;
  for (int i = 0; i < 3; ++i) {
    lanes.emplace_back([&] {
      while (!stop.load()) {
        if (hub.active(1)) hub.offer(1, *b);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    TapLimits limits;
    limits.rate = 1e6;
    auto s = hub.attach(1, limits);
    REQUIRE(s.is_ok());
    std::string out;
    (*s)->take(out, std::chrono::milliseconds(1));
    hub.detach(*s, "client gone");
  }
  stop = true;
  for (auto& t : lanes) t.join();
  CHECK_FALSE(hub.active(1));
}
