#include "agent/supervisor/restarter.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "agent/pipeline/exactly_once_fakes.h"

using namespace logagent;
using namespace logagent::testing;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  std::string dir;
  Registry registry;
  BufferPool pool{16 * 4096, 4096};
  std::shared_ptr<MetricsRegistry> metrics = std::make_shared<MetricsRegistry>();
  std::shared_ptr<AgentConfig> config = std::make_shared<AgentConfig>();
  std::vector<Slot> slots;
  MakePipeline make = [this](const AgentConfig& c, const PipelineConfig& pc) {
    return Pipeline::create(pc, c, pool, metrics, false);
  };
  // `commit_after`: the fake sink commits once after that many writes (0: never). Set before the
  // pipeline starts: it writes at once, and a setting that came later could miss its moment.
  explicit Fixture(int commit_after = 0) {
    char tmpl[] = "/tmp/logagent-restart-XXXXXX";
    dir = mkdtemp(tmpl);
    TxSink::reset();
    TxSink::commit_after = commit_after;
    ResumingInput::batches = 10;
    registry.add_input<ResumingInput>();
    registry.add_sink<TxSink>();
    config->data_dir = dir;
    config->shutdown_timeout.value = std::chrono::seconds(5);
    PipelineConfig pc;
    pc.name = "t";
    pc.delivery = Delivery::kExactlyOnce;
    pc.input = {"resuming", registry.find(PluginKind::kInput, "resuming"),
                std::make_shared<ResumingInput::Options>(), "test"};
    pc.sinks.push_back({"tx", registry.find(PluginKind::kSink, "tx"),
                        std::make_shared<TxSink::Options>(), "test"});
    config->pipelines.push_back(std::move(pc));
    auto p = make(*config, config->pipelines[0]);
    REQUIRE(p.is_ok());
    REQUIRE((*p)->start().is_ok());
    slots.push_back({config, &config->pipelines[0], std::move(p.value())});
  }
  ~Fixture() {
    slots.clear();
    fs::remove_all(dir);
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

template <class F>
auto locked(F f) {
  std::lock_guard lock(TxSink::mu);
  return f();
}

}  // namespace

TEST_CASE("a failed transaction restarts the pipeline from the committed checkpoint") {
  Fixture fx(5);
  Restarter restarter(fx.metrics, std::chrono::milliseconds(10), std::chrono::milliseconds(40));
  // Batches 0-4 are committed; 5-9 are acknowledged in the transaction that then fails.
  CHECK(eventually([&] {
    return locked([] { return TxSink::writes; }) == 10 && fx.slots[0].pipeline->settled();
  }));
  locked([] { return TxSink::commit_after = 0; });
  restarter.tick(fx.slots, fx.make);  // nothing failed: nothing to do
  CHECK(locked([] { return TxSink::begins; }) == 1);
  TxSink::abort("fenced by another instance (test)");
  const Pipeline* failed = fx.slots[0].pipeline.get();
  CHECK(eventually([&] {
    restarter.tick(fx.slots, fx.make);
    return fx.slots[0].pipeline.get() != failed && fx.slots[0].pipeline->running();
  }));
  CHECK(locked([] { return TxSink::begins; }) == 2);
  // The new pipeline reads batches 5-9 again (15 writes in all), and commits them.
  CHECK(eventually([&] {
    return locked([] { return TxSink::writes; }) == 15 && fx.slots[0].pipeline->settled();
  }));
  TxSink::commit();
  std::vector<uint64_t> each_once;
  for (uint64_t o = 0; o < 10 * kBatchBytes; o += kBatchBytes) each_once.push_back(o);
  CHECK(locked([] { return TxSink::broker_records; }) == each_once);
  CHECK(locked([] { return TxSink::broker_text; }) == checkpoint_at(10 * kBatchBytes));
  CHECK(fx.metrics->render().find("logagent_pipeline_restarts_total{pipeline=\"t\"} 1") !=
        std::string::npos);
  restarter.tick(fx.slots, fx.make);  // it runs: no second restart
  CHECK(locked([] { return TxSink::begins; }) == 2);
}

TEST_CASE("a restart that cannot start is tried again after a longer backoff") {
  Fixture fx;
  Restarter restarter(fx.metrics, std::chrono::milliseconds(10), std::chrono::milliseconds(40));
  CHECK(eventually([&] { return fx.slots[0].pipeline->settled(); }));
  locked([] { return TxSink::offer = false; });  // the new pipelines cannot begin
  TxSink::abort("transaction aborted (test)");
  CHECK(eventually([&] {
    restarter.tick(fx.slots, fx.make);
    return fx.metrics->render().find("logagent_pipeline_restarts_total{pipeline=\"t\"} 2") !=
           std::string::npos;
  }));
  CHECK_FALSE(fx.slots[0].pipeline->running());
  locked([] { return TxSink::offer = true; });
  CHECK(eventually([&] {
    restarter.tick(fx.slots, fx.make);
    return fx.slots[0].pipeline->running();
  }));
  CHECK(locked([] { return TxSink::begins; }) == 2);
}

TEST_CASE("a reload that replaced a failed pipeline leaves nothing pending for it") {
  Fixture fx;
  Restarter restarter(fx.metrics, std::chrono::milliseconds(0), std::chrono::hours(1));
  CHECK(eventually([&] { return fx.slots[0].pipeline->settled(); }));
  TxSink::abort("transaction aborted (test)");
  restarter.tick(fx.slots, fx.make);  // scheduled, due at once
  // What apply_reload does with a pipeline that does not run: a new one, started.
  fx.slots[0].pipeline->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  auto p = fx.make(*fx.config, fx.config->pipelines[0]);
  REQUIRE(p.is_ok());
  fx.slots[0].pipeline = std::move(p.value());
  REQUIRE(fx.slots[0].pipeline->start().is_ok());
  restarter.forget();
  const Pipeline* reloaded = fx.slots[0].pipeline.get();
  restarter.tick(fx.slots, fx.make);  // the reloaded pipeline runs: it is not restarted
  CHECK(fx.slots[0].pipeline.get() == reloaded);
  CHECK(fx.slots[0].pipeline->running());
  CHECK(fx.metrics->render().find("logagent_pipeline_restarts_total") == std::string::npos);
  // When it fails in turn, it is scheduled and restarted afresh.
  TxSink::abort("fenced (test)");
  CHECK(eventually([&] {
    restarter.tick(fx.slots, fx.make);
    return fx.slots[0].pipeline.get() != reloaded && fx.slots[0].pipeline->running();
  }));
  CHECK(fx.metrics->render().find("logagent_pipeline_restarts_total{pipeline=\"t\"} 1") !=
        std::string::npos);
}

TEST_CASE("a pipeline a reload could not start (its sink could not begin) is started by itself") {
  Fixture fx;
  Restarter restarter(fx.metrics, std::chrono::milliseconds(10), std::chrono::milliseconds(40));
  CHECK(eventually([&] { return fx.slots[0].pipeline->settled(); }));
  // What apply_reload does: the old pipeline drained, the new one's start fails (broker away).
  fx.slots[0].pipeline->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  locked([] { return TxSink::begin_error = "cluster away (test)"; });
  auto p = fx.make(*fx.config, fx.config->pipelines[0]);
  REQUIRE(p.is_ok());
  fx.slots[0].pipeline = std::move(p.value());
  REQUIRE_FALSE(fx.slots[0].pipeline->start().is_ok());
  restarter.forget();
  CHECK(eventually([&] {  // tried again while the sink still cannot begin
    restarter.tick(fx.slots, fx.make);
    return locked([] { return TxSink::begins; }) >= 3;
  }));
  CHECK_FALSE(fx.slots[0].pipeline->running());
  locked([] { return TxSink::begin_error = ""; });
  CHECK(eventually([&] {
    restarter.tick(fx.slots, fx.make);
    return fx.slots[0].pipeline->running();
  }));
}
