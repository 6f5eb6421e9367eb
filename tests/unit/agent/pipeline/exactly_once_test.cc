// Pipeline with delivery: exactly_once (agent/pipeline/exactly_once.cc), against a fake
// transactional sink.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "agent/pipeline/exactly_once_fakes.h"
#include "agent/pipeline/pipeline.h"

using namespace logagent;
using namespace logagent::testing;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  std::string dir;
  Registry registry;
  AgentConfig agent;
  PipelineConfig pc;
  BufferPool pool{16 * 4096, 4096};
  std::shared_ptr<MetricsRegistry> metrics = std::make_shared<MetricsRegistry>();
  Fixture() {
    char tmpl[] = "/tmp/logagent-eos-XXXXXX";
    dir = mkdtemp(tmpl);
    TxSink::reset();
    ResumingInput::batches = 10;
    registry.add_input<ResumingInput>();
    registry.add_sink<TxSink>();
    agent.data_dir = dir;
    agent.checkpoint_interval.value = std::chrono::milliseconds(1);
    pc.name = "t";
    pc.delivery = Delivery::kExactlyOnce;
    pc.input = {"resuming", registry.find(PluginKind::kInput, "resuming"),
                std::make_shared<ResumingInput::Options>(), "test"};
    pc.sinks.push_back({"tx", registry.find(PluginKind::kSink, "tx"),
                        std::make_shared<TxSink::Options>(), "test"});
  }
  ~Fixture() { fs::remove_all(dir); }
  std::string path() const { return dir + "/t.checkpoint"; }
  // The local checkpoint's offset of the fake file (0 when there is none).
  uint64_t local_offset() const {
    auto loaded = CheckpointStore(path()).load();
    REQUIRE(loaded.is_ok());
    return loaded->entries.empty() ? 0 : loaded->entries[0].offset;
  }
  std::unique_ptr<Pipeline> start() {
    auto p = Pipeline::create(pc, agent, pool, metrics, false);
    REQUIRE(p.is_ok());
    REQUIRE_MESSAGE((*p)->start().is_ok(), "start failed");
    return std::move(p.value());
  }
  bool has_metric(const std::string& line) const {
    return metrics->render().find(line) != std::string::npos;
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

int writes() {
  std::lock_guard lock(TxSink::mu);
  return TxSink::writes;
}

std::vector<uint64_t> batch_offsets(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t o = from; o < to; o += kBatchBytes) out.push_back(o);
  return out;
}

}  // namespace

TEST_CASE("exactly_once starts from the checkpoint the sink committed, not the local file") {
  Fixture fx;
  REQUIRE(CheckpointStore(fx.path()).save_text(checkpoint_at(5 * kBatchBytes)).is_ok());
  TxSink::broker_text = checkpoint_at(8 * kBatchBytes);
  auto p = fx.start();
  CHECK(TxSink::begins == 1);
  CHECK(eventually([&] { return writes() == 2 && p->settled(); }));
  CHECK(p->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  // Batches 8 and 9 only, committed at flush with the checkpoint that covers them.
  CHECK(TxSink::broker_records == batch_offsets(8 * kBatchBytes, 10 * kBatchBytes));
  CHECK(TxSink::broker_text == checkpoint_at(10 * kBatchBytes));
  CHECK(fx.local_offset() == 10 * kBatchBytes);
}

TEST_CASE("exactly_once with nothing committed yet starts from the local file") {
  Fixture fx;
  REQUIRE(CheckpointStore(fx.path()).save_text(checkpoint_at(5 * kBatchBytes)).is_ok());
  auto p = fx.start();
  CHECK(eventually([&] { return writes() == 5 && p->settled(); }));
  CHECK(p->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  CHECK(TxSink::broker_records == batch_offsets(5 * kBatchBytes, 10 * kBatchBytes));
}

TEST_CASE("committed() writes the local checkpoint, counted as a checkpoint write") {
  Fixture fx;
  auto p = fx.start();
  CHECK(eventually([&] { return writes() == 10 && p->settled(); }));
  CHECK(p->checkpoint_text() == checkpoint_at(10 * kBatchBytes));
  TxSink::commit();
  CHECK(fx.local_offset() == 10 * kBatchBytes);
  CHECK(fx.has_metric("logagent_checkpoint_writes_total{pipeline=\"t\"} 1"));
  CHECK(p->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}

TEST_CASE(
    "what is acknowledged but not committed is written neither periodically nor at shutdown") {
  Fixture fx;
  REQUIRE(CheckpointStore(fx.path()).save_text(checkpoint_at(5 * kBatchBytes)).is_ok());
  TxSink::commit_at_flush = false;
  auto p = fx.start();
  CHECK(eventually([&] { return writes() == 5 && p->settled(); }));
  CHECK(p->checkpoint_text() == checkpoint_at(10 * kBatchBytes));  // acknowledged
  CHECK(p->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  CHECK(fx.local_offset() == 5 * kBatchBytes);  // what was there: nothing was committed
  CHECK(fx.has_metric("logagent_checkpoint_writes_total{pipeline=\"t\"} 0"));
  CHECK(TxSink::broker_records.empty());
}

TEST_CASE("a failed transaction stops the pipeline, which then offers only the committed text") {
  Fixture fx;
  TxSink::commit_after = 5;
  auto p = fx.start();
  CHECK(eventually([&] { return writes() == 10 && p->settled(); }));
  CHECK(TxSink::broker_text == checkpoint_at(5 * kBatchBytes));
  CHECK(p->running());
  CHECK_FALSE(p->restart_wanted());
  TxSink::abort("fenced by another instance (test)");
  CHECK(p->restart_wanted());
  CHECK_FALSE(p->running());
  CHECK(p->not_ready().find("exactly-once transaction failed: fenced by another instance "
                            "(test)") != std::string::npos);
  CHECK(eventually([&] { return p->input_finished(); }));
  CHECK(p->checkpoint_text() == checkpoint_at(5 * kBatchBytes));
  CHECK(p->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  CHECK(fx.local_offset() == 5 * kBatchBytes);
}

TEST_CASE("exactly_once refuses to start with a sink that offers no transactions, naming it") {
  Fixture fx;
  TxSink::offer = false;
  auto p = Pipeline::create(fx.pc, fx.agent, fx.pool, fx.metrics, false);
  REQUIRE(p.is_ok());
  const Status st = (*p)->start();
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.message().find("sink tx cannot deliver exactly once") != std::string::npos);
  CHECK(writes() == 0);
}

TEST_CASE(
    "a sink that cannot begin its transactions keeps the pipeline stopped, wanting a restart") {
  Fixture fx;
  TxSink::begin_error = "cluster away (test)";
  auto p = Pipeline::create(fx.pc, fx.agent, fx.pool, fx.metrics, false);
  REQUIRE(p.is_ok());
  const Status st = (*p)->start();
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.message().find("cluster away (test)") != std::string::npos);
  CHECK((*p)->restart_wanted());
  CHECK_FALSE((*p)->running());
  CHECK(writes() == 0);
  CHECK((*p)->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}

TEST_CASE("nothing committed but a local file with entries: the fallback to the file is counted") {
  Fixture fx;
  REQUIRE(CheckpointStore(fx.path()).save_text(checkpoint_at(5 * kBatchBytes)).is_ok());
  auto p = fx.start();
  CHECK(fx.has_metric("logagent_checkpoint_local_fallbacks_total{pipeline=\"t\"} 1"));
  CHECK(eventually([&] { return writes() == 5 && p->settled(); }));
  CHECK(p->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}

TEST_CASE("a first run (no committed checkpoint, no local file) is no fallback") {
  Fixture fx;
  auto p = fx.start();
  CHECK(fx.has_metric("logagent_checkpoint_local_fallbacks_total{pipeline=\"t\"} 0"));
  CHECK(p->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}

TEST_CASE("at_least_once pipelines have no local fallback counter") {
  Fixture fx;
  fx.pc.delivery = Delivery::kAtLeastOnce;
  auto p = Pipeline::create(fx.pc, fx.agent, fx.pool, fx.metrics, false);
  REQUIRE(p.is_ok());
  CHECK_FALSE(fx.has_metric("logagent_checkpoint_local_fallbacks_total"));
}

TEST_CASE("after a failed transaction, shutdown gives up the sink's retries at once") {
  Fixture fx;
  TxSink::retry_writes = true;  // every batch is answered retry, as a failed transaction does
  auto p = fx.start();
  TxSink::abort("fenced (test)");
  CHECK(eventually([&] { return p->not_ready().find("retrying") != std::string::npos; }));
  // Nothing can be committed any more: the drain does not wait for this far deadline.
  CHECK(p->shutdown(std::chrono::steady_clock::now() + std::chrono::hours(1)));
  CHECK(TxSink::broker_records.empty());
}
