// Pipeline::Sources (pipeline.h): a source the input forgets gets a source_end batch when a stage
// carries events between batches, and leaves the checkpoint only once that batch is delivered.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include "agent/api/registry.h"
#include "agent/pipeline/pipeline.h"

using namespace logagent;
namespace fs = std::filesystem;

namespace {

// Emits two batches of one line for one file, then forgets it.
struct ForgettingInput final : Input {
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "forgetting";
  static Result<std::unique_ptr<Input>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Input>(new ForgettingInput());
  }
  void run(InputContext& ctx) override {
    auto state = ctx.sources().open(FileIdentity{1, 9, 0, 0}, "/pod.log", 0);
    auto info = std::make_shared<SourceInfo>(SourceInfo{"/pod.log"});
    for (uint64_t b = 0; b < 2; ++b) {
      ChunkRef chunk = ctx.pool().acquire(4096, ctx.stop_token());
      if (!chunk) return;
      std::memcpy(chunk->data(), "line123\n", 8);
      auto batch = std::make_unique<Batch>();
      batch->source = info;
      batch->state = state;
      batch->begin = b * 8;
      batch->end = b * 8 + 8;
      batch->events.push_back({std::string_view(chunk->data(), 7), b * 8, 0, 0});
      batch->chunks.push_back(std::move(chunk));
      if (!ctx.emit(std::move(batch))) return;
    }
    ctx.sources().forget(*state);
  }
};

// Carries the last line it saw (drops it, holds the batch at it) until the source ends, then
// appends it there.
struct CarryingStage final : Stage {
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "carrying";
  static inline std::atomic<int> source_ends{0};
  static Result<std::unique_ptr<Stage>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Stage>(new CarryingStage());
  }
  bool carries() const override { return true; }
  void process(Batch& batch) override {
    if (batch.source_end) {
      ++source_ends;
      batch.events.push_back({batch.arena.copy(held), held_offset, 0, 0});
      return;
    }
    for (Event& e : batch.events) {
      held = std::string(e.message);
      held_offset = e.offset;
      e.flags |= kEventDropped;
      batch.carried_from = e.offset;
    }
  }
  std::string held;
  uint64_t held_offset = 0;
};

// Delivers every batch and counts the live events.
struct CountingSink final : Sink {
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "counting";
  static inline std::atomic<size_t> live{0};
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Sink>(new CountingSink());
  }
  void write(const Batch& b, SinkAck ack) override {
    live += b.live_events();
    ack.delivered();
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

}  // namespace

TEST_CASE("a forgotten source reaches a carrying stage as a source_end batch and then leaves") {
  char tmpl[] = "/tmp/logagent-pipe-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  Registry registry;
  registry.add_input<ForgettingInput>();
  registry.add_stage<CarryingStage>();
  registry.add_sink<CountingSink>();
  AgentConfig agent;
  agent.data_dir = dir;
  PipelineConfig pc;
  pc.name = "t";
  pc.workers = 2;
  pc.queue_size = 4;
  pc.input = {"forgetting", registry.find(PluginKind::kInput, "forgetting"),
              std::make_shared<ForgettingInput::Options>(), "test"};
  pc.stages.push_back({"carrying", registry.find(PluginKind::kStage, "carrying"),
                       std::make_shared<CarryingStage::Options>(), "test"});
  pc.sinks.push_back({"counting", registry.find(PluginKind::kSink, "counting"),
                      std::make_shared<CountingSink::Options>(), "test"});
  BufferPool pool(8 * 4096, 4096);
  auto p = Pipeline::create(pc, agent, pool, std::make_shared<MetricsRegistry>(), false);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  CHECK(eventually([&] { return (*p)->input_finished() && (*p)->settled(); }));
  CHECK(CarryingStage::source_ends == 1);
  CHECK(CountingSink::live == 1);  // the carried line, emitted on the source_end batch
  CHECK((*p)->acks().sources() == 0);
  CHECK((*p)->acks().snapshot().empty());
  (*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  CHECK(pool.in_use() == 0);
  fs::remove_all(dir);
}
