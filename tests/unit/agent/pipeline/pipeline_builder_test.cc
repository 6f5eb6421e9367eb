#include <doctest/doctest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/registry.h"
#include "agent/pipeline/pipeline.h"

using namespace logagent;
namespace fs = std::filesystem;

namespace {

struct NoOptions {
  static const Schema<NoOptions>& schema() {
    static const Schema<NoOptions> s;
    return s;
  }
};

// Emits 3 batches of 4 lines of one fake file, then returns (--once).
struct ThreeBatches final : Input {
  static constexpr std::string_view kName = "three";
  using Options = NoOptions;
  static Result<std::unique_ptr<Input>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Input>(new ThreeBatches());
  }
  void run(InputContext& ctx) override {
    auto state = ctx.sources().open(FileIdentity{1, 1, 0, 0}, "/fake.log", 0);
    auto info = std::make_shared<SourceInfo>(SourceInfo{"/fake.log"});
    uint64_t offset = 0;
    for (int b = 0; b < 3; ++b) {
      ChunkRef chunk = ctx.pool().acquire(64, ctx.stop_token());
      if (!chunk) return;
      auto batch = std::make_unique<Batch>();
      batch->source = info;
      batch->state = state;
      batch->begin = offset;
      for (int l = 0; l < 4; ++l) {
        char* p = chunk->data() + l * 5;
        std::memcpy(p, "line\n", 5);
        batch->events.push_back({std::string_view(p, 4), offset, 0, 0});
        offset += 5;
      }
      batch->end = offset;
      batch->chunks.push_back(std::move(chunk));
      state->observe_size(offset);
      if (!ctx.emit(std::move(batch))) return;
    }
  }
};

// A stage that records the labels of the scope it was made with and counts its batches under
// its own default stage label (as the plugins do), dropping the first event of each batch.
struct RecordingStage final : Stage {
  static constexpr std::string_view kName = "rec";
  using Options = NoOptions;
  static constexpr MetricDef kBatches{"logagent_test_rec_batches_total", MetricKind::kCounter,
                                      "pipeline,stage", "Batches the test stage saw"};
  static inline std::mutex mu;
  static inline std::vector<Labels> made_with;
  Counter batches;
  explicit RecordingStage(const MetricsScope& m) : batches(m.counter(kBatches)) {}
  static Result<std::unique_ptr<Stage>> create(const Options&, const PluginContext& ctx) {
    {
      std::lock_guard lock(mu);
      made_with.push_back(ctx.metrics.labels());
    }
    return std::unique_ptr<Stage>(
        new RecordingStage(ctx.metrics.with_default({{"stage", std::string(kName)}})));
  }
  void process(Batch& batch) override {
    batches.inc();
    if (!batch.events.empty()) batch.events[0].flags |= kEventDropped;
  }
};

struct DeliverSink final : Sink {
  static constexpr std::string_view kName = "deliver";
  using Options = NoOptions;
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Sink>(new DeliverSink());
  }
  void write(const Batch&, SinkAck ack) override { ack.delivered(); }
};

struct Failing {
  static constexpr std::string_view kName = "failing";
  using Options = NoOptions;
  static Result<std::unique_ptr<Stage>> create(const Options&, const PluginContext&) {
    return Status::error("no such thing");
  }
};

struct Fixture {
  std::string dir;
  Registry registry;
  AgentConfig agent;
  PipelineConfig pc;
  Fixture() {
    char tmpl[] = "/tmp/logagent-builder-XXXXXX";
    dir = mkdtemp(tmpl);
    registry.add_input<ThreeBatches>();
    registry.add_stage<RecordingStage>();
    registry.add_sink<DeliverSink>();
    agent.data_dir = dir;
    pc.name = "p";
    pc.workers = 1;
    pc.queue_size = 4;
    pc.input = {"three", registry.find(PluginKind::kInput, "three"), std::make_shared<NoOptions>(),
                "test"};
    for (int i = 0; i < 2; ++i) {
      pc.stages.push_back(
          {"rec", registry.find(PluginKind::kStage, "rec"), std::make_shared<NoOptions>(), "test"});
    }
    pc.sinks.push_back({"deliver", registry.find(PluginKind::kSink, "deliver"),
                        std::make_shared<NoOptions>(), "test"});
    std::lock_guard lock(RecordingStage::mu);
    RecordingStage::made_with.clear();
  }
  ~Fixture() { fs::remove_all(dir); }
};

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 6000; ++i) {  // up to a minute: a busy machine is slow, not wrong
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

double counter(MetricsRegistry& m, const std::string& name, const std::string& stage) {
  return Counter(m.counter(name, "", {{"pipeline", "p"}, {"stage", stage}})).value();
}

}  // namespace

TEST_CASE("two stages of one type get distinct stage labels") {
  Fixture fx;
  BufferPool pool(16 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, true);
  REQUIRE(p.is_ok());
  std::lock_guard lock(RecordingStage::mu);
  REQUIRE(RecordingStage::made_with.size() == 2);
  CHECK(RecordingStage::made_with[0] == Labels{{"pipeline", "p"}, {"stage", "rec"}});
  CHECK(RecordingStage::made_with[1] == Labels{{"pipeline", "p"}, {"stage", "rec_2"}});
}

TEST_CASE("two stages of one type count apart, in their own and the standard metrics") {
  Fixture fx;
  BufferPool pool(16 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, true);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  CHECK(eventually([&] { return (*p)->input_finished() && (*p)->settled(); }));
  CHECK((*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));

  CHECK(counter(*metrics, "logagent_test_rec_batches_total", "rec") == 3);
  CHECK(counter(*metrics, "logagent_test_rec_batches_total", "rec_2") == 3);
  // rec drops event 0 of each batch; rec_2 drops it again, so drops nothing new.
  CHECK(counter(*metrics, "logagent_stage_events_in_total", "rec") == 12);
  CHECK(counter(*metrics, "logagent_stage_events_dropped_total", "rec") == 3);
  CHECK(counter(*metrics, "logagent_stage_events_out_total", "rec") == 9);
  CHECK(counter(*metrics, "logagent_stage_events_in_total", "rec_2") == 9);
  CHECK(counter(*metrics, "logagent_stage_events_dropped_total", "rec_2") == 0);
  CHECK(counter(*metrics, "logagent_stage_events_out_total", "rec_2") == 9);
  const std::string text = metrics->render();
  CHECK(text.find(R"(logagent_queue_depth{pipeline="p",stage="rec_2"} 0)") != std::string::npos);
  CHECK(metrics->declaration_errors().empty());
}

TEST_CASE("sinks of one type get distinct sink labels") {
  Fixture fx;
  fx.pc.sinks.push_back(fx.pc.sinks[0]);
  BufferPool pool(16 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, true);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  CHECK(eventually([&] { return (*p)->input_finished() && (*p)->settled(); }));
  CHECK((*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  const std::string text = metrics->render();
  CHECK(text.find(R"(logagent_sink_events_total{pipeline="p",result="ok",sink="deliver"} 9)") !=
        std::string::npos);
  CHECK(text.find(R"(logagent_sink_events_total{pipeline="p",result="ok",sink="deliver_2"} 9)") !=
        std::string::npos);
}

TEST_CASE("a stage that cannot be made fails the build with its place and type") {
  Fixture fx;
  fx.registry.add_stage<Failing>();
  fx.pc.stages.push_back({"failing", fx.registry.find(PluginKind::kStage, "failing"),
                          std::make_shared<NoOptions>(), "cfg.yaml:3:7"});
  BufferPool pool(16 * 4096, 4096);
  auto p = Pipeline::create(fx.pc, fx.agent, pool, std::make_shared<MetricsRegistry>(), true);
  REQUIRE_FALSE(p.is_ok());
  CHECK(p.message() == "cfg.yaml:3:7: stage failing: no such thing");
}
