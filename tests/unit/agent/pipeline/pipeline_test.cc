#include "agent/pipeline/pipeline.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agent/api/registry.h"

using namespace logagent;
namespace fs = std::filesystem;

namespace {

// An input that emits `batches` batches of `lines` lines for one fake file, then returns.
struct FakeInput final : Input {
  struct Options {
    int batches = 50;
    int lines = 100;
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "fake";
  static inline std::atomic<int> emitted{0};
  Options o;
  explicit FakeInput(Options opts) : o(opts) {}
  static Result<std::unique_ptr<Input>> create(const Options& o, const PluginContext&) {
    return std::unique_ptr<Input>(new FakeInput(o));
  }
  void run(InputContext& ctx) override {
    auto state = ctx.acks().open(FileIdentity{1, 1, 0, 0}, "/fake.log", 0);
    auto info = std::make_shared<SourceInfo>(SourceInfo{state->id, "/fake.log"});
    uint64_t offset = 0;
    for (int b = 0; b < o.batches; ++b) {
      ChunkRef chunk = ctx.pool().acquire(4096, ctx.stop_token());
      if (!chunk) return;
      auto batch = std::make_unique<Batch>();
      batch->source = info;
      batch->state = state;
      batch->begin = offset;
      for (int l = 0; l < o.lines; ++l) {
        char* p = chunk->data() + l * 8;
        std::memcpy(p, "line123\n", 8);
        batch->events.push_back({std::string_view(p, 7), offset, 0, 0});
        offset += 8;
      }
      batch->end = offset;
      batch->chunks.push_back(std::move(chunk));
      state->file_size = offset;
      if (!ctx.emit(std::move(batch))) return;
      ++emitted;
    }
  }
};

// A sink that keeps acknowledgements and releases them later from another thread, in reverse.
struct HoldingSink final : Sink {
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "holding";
  static inline std::mutex mu;
  static inline std::vector<SinkAck> held;
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Sink>(new HoldingSink());
  }
  void write(const Batch&, SinkAck ack) override {
    std::lock_guard lock(mu);
    held.push_back(std::move(ack));
  }
  static void release_all(bool ok) {
    std::vector<SinkAck> acks;
    {
      std::lock_guard lock(mu);
      acks.swap(held);
    }
    for (auto it = acks.rbegin(); it != acks.rend(); ++it) it->done(ok);
  }
  static size_t count() {
    std::lock_guard lock(mu);
    return held.size();
  }
};

struct Fixture {
  std::string dir;
  Registry registry;
  AgentConfig agent;
  PipelineConfig pc;
  Fixture() {
    char tmpl[] = "/tmp/logagent-pipe-XXXXXX";
    dir = mkdtemp(tmpl);
    registry.add_input<FakeInput>();
    registry.add_sink<HoldingSink>();
    agent.data_dir = dir;
    pc.name = "t";
    pc.workers = 2;
    pc.queue_size = 4;
    auto* in = registry.find(PluginKind::kInput, "fake");
    pc.input = {"fake", in, std::make_shared<FakeInput::Options>(), "test"};
    auto* sink = registry.find(PluginKind::kSink, "holding");
    pc.sinks.push_back({"holding", sink, std::make_shared<HoldingSink::Options>(), "test"});
  }
  ~Fixture() { fs::remove_all(dir); }
};

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 500; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("a slow sink holds the pool budget: the input waits instead of buffering") {
  Fixture fx;
  BufferPool pool(8 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, true);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  // Nothing is acknowledged: the input can only have the pool's 8 chunks out.
  CHECK(eventually([&] { return HoldingSink::count() == 8; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(pool.in_use() == 8);
  CHECK(HoldingSink::count() == 8);
  CHECK_FALSE((*p)->input_finished());
  // Releasing acknowledgements lets the rest flow.
  CHECK(eventually([&] {
    HoldingSink::release_all(true);
    return (*p)->input_finished() && (*p)->settled();
  }));
  (*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  CHECK(pool.in_use() == 0);
  const PipelineStats s = (*p)->stats();
  CHECK(s.lines_read == 5000);
  CHECK(s.events_acked == 5000);
  CHECK(s.events_failed == 0);
  auto saved = CheckpointStore(fx.dir + "/t.checkpoint").load();
  REQUIRE(saved.is_ok());
  REQUIRE(saved->entries.size() == 1);
  CHECK(saved->entries[0].offset == 5000 * 8);
  const std::string text = metrics->render();
  CHECK(
      text.find("logagent_sink_events_total{pipeline=\"t\",result=\"ok\",sink=\"holding\"} 5000") !=
      std::string::npos);
  CHECK(text.find("logagent_queue_depth{pipeline=\"t\",stage=\"sinks\"} 0") != std::string::npos);
}

TEST_CASE("failed batches are counted and never checkpointed") {
  Fixture fx;
  BufferPool pool(64 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, true);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  CHECK(eventually([&] {
    HoldingSink::release_all(false);
    return (*p)->input_finished() && (*p)->settled();
  }));
  (*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  CHECK((*p)->stats().events_failed == 5000);
  auto saved = CheckpointStore(fx.dir + "/t.checkpoint").load();
  REQUIRE(saved.is_ok());
  REQUIRE(saved->entries.size() == 1);
  CHECK(saved->entries[0].offset == 0);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("shutdown with acknowledgements outstanding ends by the deadline and commits nothing") {
  Fixture fx;
  BufferPool pool(4 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, false);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  CHECK(eventually([&] { return HoldingSink::count() == 4; }));
  const auto t0 = std::chrono::steady_clock::now();
  (*p)->shutdown(t0 + std::chrono::milliseconds(200));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  auto saved = CheckpointStore(fx.dir + "/t.checkpoint").load();
  REQUIRE(saved.is_ok());
  REQUIRE(saved->entries.size() == 1);
  CHECK(saved->entries[0].offset == 0);
  HoldingSink::release_all(false);
  CHECK(pool.in_use() == 0);
}
