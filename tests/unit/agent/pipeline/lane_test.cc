#include "agent/pipeline/lane.h"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/metrics/metrics_registry.h"

using namespace logagent;

namespace {

// Drops every event at an even index.
struct DropEvenStage final : Stage {
  void process(Batch& batch) override {
    for (size_t i = 0; i < batch.events.size(); i += 2) batch.events[i].flags |= kEventDropped;
  }
};

// Flags the first live event as failed (as a parser with on_error: keep does).
struct FailFirstStage final : Stage {
  void process(Batch& batch) override {
    for (Event& e : batch.events) {
      if ((e.flags & kEventDropped) == 0) {
        e.flags |= kEventParseError;
        return;
      }
    }
  }
};

// Drops every event.
struct DropAllStage final : Stage {
  void process(Batch& batch) override {
    for (Event& e : batch.events) e.flags |= kEventDropped;
  }
};

BatchPtr batch_of(size_t events) {
  auto b = std::make_unique<Batch>();
  for (size_t i = 0; i < events; ++i) b->events.push_back({"line", i * 5, 0, 0});
  return b;
}

struct Received {
  std::mutex mu;
  std::vector<BatchPtr> batches;
  size_t size() {
    std::lock_guard lock(mu);
    return batches.size();
  }
};

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 6000; ++i) {  // up to a minute: a busy machine is slow, not wrong
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

double value(const MetricsScope& scope, const char* name, const std::string& stage) {
  return scope.counter(name, "", {{"stage", stage}}).value();
}

}  // namespace

TEST_CASE("the lane counts the events each stage received, passed on, dropped and failed") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}});
  std::vector<LaneStage> stages;
  stages.push_back({std::make_unique<DropEvenStage>(), scope.with({{"stage", "drop"}})});
  stages.push_back({std::make_unique<FailFirstStage>(), scope.with({{"stage", "parse"}})});
  Received received;
  Lane lane(std::move(stages), 4, [&](BatchPtr b) {
    std::lock_guard lock(received.mu);
    received.batches.push_back(std::move(b));
  });
  lane.start();
  REQUIRE(lane.push(batch_of(10), {}));
  REQUIRE(lane.push(batch_of(4), {}));
  REQUIRE(eventually([&] { return received.size() == 2; }));
  lane.close();
  lane.join();

  CHECK(value(scope, "logagent_stage_events_in_total", "drop") == 14);
  CHECK(value(scope, "logagent_stage_events_out_total", "drop") == 7);
  CHECK(value(scope, "logagent_stage_events_dropped_total", "drop") == 7);
  CHECK(value(scope, "logagent_stage_event_errors_total", "drop") == 0);
  CHECK(value(scope, "logagent_stage_events_in_total", "parse") == 7);
  CHECK(value(scope, "logagent_stage_events_out_total", "parse") == 7);
  CHECK(value(scope, "logagent_stage_events_dropped_total", "parse") == 0);
  CHECK(value(scope, "logagent_stage_event_errors_total", "parse") == 2);  // one per batch
  const std::string text = registry->render();
  CHECK(
      text.find(R"(logagent_stage_batch_duration_seconds_count{pipeline="app",stage="drop"} 2)") !=
      std::string::npos);
  CHECK(
      text.find(R"(logagent_stage_batch_duration_seconds_count{pipeline="app",stage="parse"} 2)") !=
      std::string::npos);
  CHECK(registry->declaration_errors().empty());
}

TEST_CASE("the lane hands every batch to the sink step in order, after every stage") {
  std::vector<LaneStage> stages;
  stages.push_back({std::make_unique<DropEvenStage>(), MetricsScope()});
  Received received;
  Lane lane(std::move(stages), 2, [&](BatchPtr b) {
    std::lock_guard lock(received.mu);
    received.batches.push_back(std::move(b));
  });
  lane.start();
  for (size_t n = 1; n <= 20; ++n) REQUIRE(lane.push(batch_of(n), {}));
  lane.close();
  lane.join();  // the lane drains what it accepted before it ends
  REQUIRE(received.size() == 20);
  for (size_t n = 1; n <= 20; ++n) {
    CHECK(received.batches[n - 1]->events.size() == n);
    CHECK(received.batches[n - 1]->live_events() == n / 2);
  }
}

TEST_CASE("a lane without stages has one queue, straight to the sink step") {
  Received received;
  Lane lane({}, 2, [&](BatchPtr b) {
    std::lock_guard lock(received.mu);
    received.batches.push_back(std::move(b));
  });
  CHECK(lane.queue_count() == 1);
  lane.start();
  REQUIRE(lane.push(batch_of(3), {}));
  lane.close();
  lane.join();
  CHECK(received.size() == 1);
}

TEST_CASE("the lane counts a stage that drops every event, and an empty batch, without underflow") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}});
  std::vector<LaneStage> stages;
  stages.push_back({std::make_unique<DropAllStage>(), scope.with({{"stage", "all"}})});
  stages.push_back({std::make_unique<FailFirstStage>(), scope.with({{"stage", "after"}})});
  Received received;
  Lane lane(std::move(stages), 4, [&](BatchPtr b) {
    std::lock_guard lock(received.mu);
    received.batches.push_back(std::move(b));
  });
  lane.start();
  REQUIRE(lane.push(batch_of(5), {}));
  REQUIRE(lane.push(batch_of(0), {}));
  REQUIRE(eventually([&] { return received.size() == 2; }));
  lane.close();
  lane.join();

  CHECK(value(scope, "logagent_stage_events_in_total", "all") == 5);
  CHECK(value(scope, "logagent_stage_events_out_total", "all") == 0);
  CHECK(value(scope, "logagent_stage_events_dropped_total", "all") == 5);
  CHECK(value(scope, "logagent_stage_events_in_total", "after") == 0);
  CHECK(value(scope, "logagent_stage_events_out_total", "after") == 0);
  CHECK(value(scope, "logagent_stage_events_dropped_total", "after") == 0);
  CHECK(value(scope, "logagent_stage_event_errors_total", "after") == 0);
  const std::string text = registry->render();
  CHECK(
      text.find(R"(logagent_stage_batch_duration_seconds_count{pipeline="app",stage="after"} 2)") !=
      std::string::npos);
  CHECK(registry->declaration_errors().empty());
}
