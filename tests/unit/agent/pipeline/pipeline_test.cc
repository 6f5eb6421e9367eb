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
    auto state = ctx.sources().open(FileIdentity{1, 1, 0, 0}, "/fake.log", 0);
    auto info = std::make_shared<SourceInfo>(SourceInfo{"/fake.log"});
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
      state->observe_size(offset);
      if (!ctx.emit(std::move(batch))) return;
      ++emitted;
    }
  }
};

// A sink that answers kRetry to the first `fail_first` writes (synchronously, as a file sink
// does), then delivers; it records the first offset of every batch it delivered, in order.
struct FlakySink final : Sink {
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "flaky";
  static inline std::mutex mu;
  static inline int fail_first = 0;
  static inline int writes = 0;
  static inline std::vector<uint64_t> delivered;
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Sink>(new FlakySink());
  }
  void write(const Batch& b, SinkAck ack) override {
    std::unique_lock lock(mu);
    if (writes++ < fail_first) {
      lock.unlock();
      ack.retry("disk full (test)");
      return;
    }
    delivered.push_back(b.begin);
    lock.unlock();
    ack.delivered();
  }
  static void reset(int fail) {
    std::lock_guard lock(mu);
    fail_first = fail;
    writes = 0;
    delivered.clear();
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
  static void release_all(SinkOutcome outcome) {
    std::vector<SinkAck> acks;
    {
      std::lock_guard lock(mu);
      acks.swap(held);
    }
    for (auto it = acks.rbegin(); it != acks.rend(); ++it) it->done(outcome, "test");
  }
  static size_t count() {
    std::lock_guard lock(mu);
    return held.size();
  }
};

// A sink that keeps its acknowledgements in the instance and answers them from its destructor,
// as a producer does when it is torn down with messages in flight.
struct DestructorAnsweringSink final : Sink {
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "late";
  static inline std::atomic<int> written{0};
  static inline std::atomic<int> destroyed{0};
  std::mutex mu;
  std::vector<SinkAck> held;
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Sink>(new DestructorAnsweringSink());
  }
  void write(const Batch&, SinkAck ack) override {
    std::lock_guard lock(mu);
    held.push_back(std::move(ack));
    ++written;
  }
  ~DestructorAnsweringSink() override {
    std::vector<SinkAck> acks;
    {
      std::lock_guard lock(mu);
      acks.swap(held);
    }
    for (auto& a : acks) a.retry("producer destroyed (test)");
    ++destroyed;
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
    registry.add_sink<FlakySink>();
    registry.add_sink<DestructorAnsweringSink>();
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
  for (int i = 0; i < 6000; ++i) {  // up to a minute: a busy machine is slow, not wrong
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
    HoldingSink::release_all(SinkOutcome::kDelivered);
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

TEST_CASE("a rejected batch stops the pipeline loudly and is never checkpointed") {
  Fixture fx;
  BufferPool pool(8 * 4096, 4096);  // 8 batches out at most until the first answer
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, false);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  CHECK((*p)->running());
  CHECK(eventually([&] {
    HoldingSink::release_all(SinkOutcome::kRejected);
    return (*p)->input_finished() && (*p)->settled();
  }));
  // Not a silent freeze: the input stopped, /ready names the cause, a reload restarts it.
  CHECK_FALSE((*p)->running());
  CHECK((*p)->not_ready().find("stopped: sink holding rejected a batch: test") !=
        std::string::npos);
  CHECK((*p)->stats().events_failed > 0);
  CHECK((*p)->stats().lines_read < 5000);  // it stopped reading
  (*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  auto saved = CheckpointStore(fx.dir + "/t.checkpoint").load();
  REQUIRE(saved.is_ok());
  REQUIRE(saved->entries.size() == 1);
  CHECK(saved->entries[0].offset == 0);
  CHECK(pool.in_use() == 0);
  CHECK(metrics->render().find(
            "logagent_sink_batches_rejected_total{pipeline=\"t\",sink=\"holding\"}") !=
        std::string::npos);
}

TEST_CASE("a batch a sink answers retry for is written again, in order, and then checkpointed") {
  Fixture fx;
  fx.pc.sinks.clear();
  fx.pc.sinks.push_back({"flaky", fx.registry.find(PluginKind::kSink, "flaky"),
                         std::make_shared<FlakySink::Options>(), "test"});
  fx.pc.workers = 1;  // one lane: every batch of the file in one order
  FlakySink::reset(3);
  BufferPool pool(64 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, true);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  CHECK(eventually([&] { return (*p)->input_finished() && (*p)->settled(); }));
  CHECK((*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  const PipelineStats s = (*p)->stats();
  CHECK(s.events_acked == 5000);
  CHECK(s.events_failed == 0);
  {
    std::lock_guard lock(FlakySink::mu);
    REQUIRE(FlakySink::delivered.size() == 50);
    for (size_t i = 0; i < 50; ++i) CHECK(FlakySink::delivered[i] == i * 800);  // in file order
    CHECK(FlakySink::writes == 53);
  }
  auto saved = CheckpointStore(fx.dir + "/t.checkpoint").load();
  REQUIRE(saved.is_ok());
  REQUIRE(saved->entries.size() == 1);
  CHECK(saved->entries[0].offset == 5000 * 8);  // the retried batch froze nothing
  CHECK(pool.in_use() == 0);
  const std::string text = metrics->render();
  CHECK(text.find("logagent_sink_retries_total{pipeline=\"t\",sink=\"flaky\"} 3") !=
        std::string::npos);
  CHECK((*p)->not_ready() == "not started");  // after shutdown
}

TEST_CASE(
    "a sink that keeps answering retry holds the lane, shows in /ready, and the deadline "
    "ends it uncommitted") {
  Fixture fx;
  fx.pc.sinks.clear();
  fx.pc.sinks.push_back({"flaky", fx.registry.find(PluginKind::kSink, "flaky"),
                         std::make_shared<FlakySink::Options>(), "test"});
  FlakySink::reset(1 << 30);
  BufferPool pool(64 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, false);
  REQUIRE(p.is_ok());
  REQUIRE((*p)->start().is_ok());
  CHECK(eventually([&] {
    return (*p)->not_ready().find("sink flaky retrying: disk full (test)") != std::string::npos;
  }));
  CHECK(eventually([&] {
    std::lock_guard lock(FlakySink::mu);
    return FlakySink::writes >= 3;  // written again and again, with a backoff
  }));
  CHECK((*p)->running());  // retrying is not stopping
  (*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
  CHECK((*p)->stats().events_acked == 0);
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
  HoldingSink::release_all(SinkOutcome::kRetry);
  CHECK(pool.in_use() == 0);
}

TEST_CASE(
    "a pipeline destroyed without shutdown stops, and its sink's answers from the destructor "
    "settle") {
  Fixture fx;
  fx.pc.sinks.clear();
  auto* sink = fx.registry.find(PluginKind::kSink, "late");
  fx.pc.sinks.push_back(
      {"late", sink, std::make_shared<DestructorAnsweringSink::Options>(), "test"});
  BufferPool pool(4 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  DestructorAnsweringSink::written = 0;
  DestructorAnsweringSink::destroyed = 0;
  {
    auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, false);
    REQUIRE(p.is_ok());
    REQUIRE((*p)->start().is_ok());
    // The pool's 4 chunks are all held by the sink: the input waits for budget.
    CHECK(eventually([&] { return DestructorAnsweringSink::written == 4; }));
    CHECK(pool.in_use() == 4);
  }  // destroyed while started: it must stop its threads, and the answers must find it alive
  CHECK(DestructorAnsweringSink::destroyed == 1);
  CHECK(pool.in_use() == 0);
  auto saved = CheckpointStore(fx.dir + "/t.checkpoint").load();
  REQUIRE(saved.is_ok());
  for (const auto& e : saved->entries) CHECK(e.offset == 0);  // nothing was delivered
}

TEST_CASE("a pipeline that is gone leaves its sampled gauges at 0, not at their last values") {
  // A reload that removes a pipeline (or a stage, whose queue has its own depth gauge): nothing
  // samples those series any more, so whatever they last showed -- batches in flight, the age of
  // the oldest one -- would be exported as is until the agent restarts.
  Fixture fx;
  BufferPool pool(4 * 4096, 4096);
  auto metrics = std::make_shared<MetricsRegistry>();
  const auto in_flight = [&] {
    return Gauge(metrics->gauge("logagent_pipeline_batches_in_flight", "", {{"pipeline", "t"}}))
        .value();
  };
  {
    auto p = Pipeline::create(fx.pc, fx.agent, pool, metrics, false);
    REQUIRE(p.is_ok());
    REQUIRE((*p)->start().is_ok());
    CHECK(eventually([&] { return HoldingSink::count() == 4; }));
    metrics->render();  // a scrape while the sink holds every batch
    CHECK(in_flight() == 4);
    (*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    HoldingSink::release_all(SinkOutcome::kRetry);
  }
  metrics->render();
  CHECK(in_flight() == 0);
  const std::string text = metrics->render();
  CHECK(text.find("logagent_pipeline_oldest_unacked_age_seconds{pipeline=\"t\"} 0\n") !=
        std::string::npos);
}
