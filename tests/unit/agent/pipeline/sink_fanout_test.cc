#include "agent/pipeline/sink_fanout.h"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/core/buffer_pool.h"

using namespace logagent;

namespace {

// A sink that answers each write with the next scripted outcome (then delivers), or keeps the
// acknowledgement (kKeep) until release() or its own destruction (SinkAck answers retry then).
struct ScriptedSink final : Sink {
  static constexpr int kKeep = -1;
  std::mutex mu;
  std::vector<int> script;  // SinkOutcome values or kKeep, consumed in order
  std::vector<uint64_t> delivered;
  std::vector<SinkAck> kept;
  std::atomic<int> writes{0};
  explicit ScriptedSink(std::vector<int> s) : script(std::move(s)) {}
  void write(const Batch& b, SinkAck ack) override {
    ++writes;
    std::unique_lock lock(mu);
    int next = static_cast<int>(SinkOutcome::kDelivered);
    if (!script.empty()) {
      next = script.front();
      script.erase(script.begin());
    }
    if (next == kKeep) {
      kept.push_back(std::move(ack));
      return;
    }
    if (next == static_cast<int>(SinkOutcome::kDelivered)) delivered.push_back(b.begin);
    lock.unlock();
    ack.done(static_cast<SinkOutcome>(next), "scripted");
  }
  void release(SinkOutcome outcome) {
    std::vector<SinkAck> acks;
    {
      std::lock_guard lock(mu);
      acks.swap(kept);
    }
    for (auto& a : acks) a.done(outcome, "released");
  }
};

struct Finished {
  std::mutex mu;
  std::vector<std::pair<uint64_t, bool>> batches;  // begin, ok
  std::vector<std::string> rejected;
  size_t count() {
    std::lock_guard lock(mu);
    return batches.size();
  }
};

SinkSet::Events events(Finished& f) {
  return {[&f](Batch* b, bool ok) {
            {
              std::lock_guard lock(f.mu);
              f.batches.emplace_back(b->begin, ok);
            }
            delete b;
          },
          [&f](const std::string& sink, std::string_view why) {
            std::lock_guard lock(f.mu);
            f.rejected.push_back(sink + ": " + std::string(why));
          }};
}

BatchPtr batch_at(BufferPool& pool, uint64_t begin) {
  auto b = std::make_unique<Batch>();
  b->begin = begin;
  b->end = begin + 10;
  b->chunks.push_back(pool.try_acquire(16));
  return b;
}

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 12000; ++i) {  // up to a minute: a busy machine is slow, not wrong
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("a batch finishes once, after its last sink, failed if any sink rejected it") {
  BufferPool pool(16 * 4096, 4096);
  Finished f;
  std::stop_source abort;
  auto a = std::make_unique<ScriptedSink>(std::vector<int>{ScriptedSink::kKeep});
  auto b =
      std::make_unique<ScriptedSink>(std::vector<int>{static_cast<int>(SinkOutcome::kRejected)});
  ScriptedSink* held = a.get();
  SinkSet set("p", abort.get_token(), events(f));
  set.add(std::move(a), "a", {});
  set.add(std::move(b), "b", {});
  set.start();
  set.write(batch_at(pool, 0));
  CHECK(f.count() == 0);  // sink a has not answered yet
  CHECK(f.rejected == std::vector<std::string>{"b: scripted"});
  held->release(SinkOutcome::kDelivered);
  REQUIRE(f.count() == 1);
  CHECK(f.batches[0] == std::pair<uint64_t, bool>{0, false});
  set.write(batch_at(pool, 10));  // both deliver now
  REQUIRE(f.count() == 2);
  CHECK(f.batches[1] == std::pair<uint64_t, bool>{10, true});
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a retried batch is written again before the sink's later batches, and /ready says so") {
  BufferPool pool(16 * 4096, 4096);
  Finished f;
  std::stop_source abort;
  const int retry = static_cast<int>(SinkOutcome::kRetry);
  auto s = std::make_unique<ScriptedSink>(std::vector<int>{retry, retry});
  ScriptedSink* sink = s.get();
  SinkSet set("p", abort.get_token(), events(f));
  set.add(std::move(s), "s", {});
  set.start();
  set.write(batch_at(pool, 0));
  CHECK(set.not_ready() == "sink s retrying: scripted");
  std::jthread writer([&] {
    set.write(batch_at(pool, 10));  // waits until batch 0 went through
    set.write(batch_at(pool, 20));
  });
  writer.join();
  REQUIRE(eventually([&] { return f.count() == 3; }));
  {
    std::lock_guard lock(sink->mu);
    CHECK(sink->delivered == std::vector<uint64_t>{0, 10, 20});
  }
  CHECK(sink->writes == 5);
  CHECK(set.not_ready().empty());  // delivering again
  for (const auto& [begin, ok] : f.batches) CHECK(ok);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("past the abort, a retry is given up: the batch fails and is not written again") {
  BufferPool pool(16 * 4096, 4096);
  Finished f;
  std::stop_source abort;
  auto s = std::make_unique<ScriptedSink>(std::vector<int>{static_cast<int>(SinkOutcome::kRetry)});
  ScriptedSink* sink = s.get();
  SinkSet set("p", abort.get_token(), events(f));
  set.add(std::move(s), "s", {});
  set.start();
  abort.request_stop();
  set.write(batch_at(pool, 0));
  REQUIRE(f.count() == 1);
  CHECK_FALSE(f.batches[0].second);
  set.stop_retries();
  CHECK(sink->writes == 1);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("stop_retries gives up the queued retries") {
  BufferPool pool(16 * 4096, 4096);
  Finished f;
  std::stop_source abort;
  std::vector<int> script(100, static_cast<int>(SinkOutcome::kRetry));
  SinkSet set("p", abort.get_token(), events(f));
  set.add(std::make_unique<ScriptedSink>(script), "s", {});
  set.start();
  set.write(batch_at(pool, 0));
  set.stop_retries();
  REQUIRE(f.count() == 1);
  CHECK_FALSE(f.batches[0].second);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("what a sink answers from its destructor settles while the set still lives") {
  BufferPool pool(16 * 4096, 4096);
  Finished f;
  std::stop_source abort;  // never requested: the answers are retries, given up at destruction
  {
    SinkSet set("p", abort.get_token(), events(f));
    set.add(
        std::make_unique<ScriptedSink>(std::vector<int>{ScriptedSink::kKeep, ScriptedSink::kKeep}),
        "s", {});
    set.start();
    set.write(batch_at(pool, 0));
    set.write(batch_at(pool, 10));
    CHECK(f.count() == 0);
    CHECK(pool.in_use() == 2);
  }  // ~ScriptedSink drops its SinkAcks: each answers retry
  REQUIRE(f.count() == 2);
  for (const auto& [begin, ok] : f.batches) CHECK_FALSE(ok);
  CHECK(pool.in_use() == 0);
}
