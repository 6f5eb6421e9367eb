#include "agent/pipeline/acknowledger.h"

#include <doctest/doctest.h>

#include "agent/core/buffer_pool.h"
#include "agent/core/clock.h"
#include "agent/metrics/metrics_registry.h"

using namespace logagent;

namespace {

Batch* batch(AckTracker& acks, const std::shared_ptr<SourceState>& s, BufferPool& pool,
             uint64_t begin, size_t events) {
  auto* b = new Batch();
  b->state = s;
  b->begin = begin;
  b->end = begin + events;
  b->read_mono_ns = mono_now_ns();
  b->chunks.push_back(pool.try_acquire(16));
  for (size_t i = 0; i < events; ++i) b->events.push_back({{}, begin + i, 0, 0});
  acks.emitted(*b);
  return b;
}

}  // namespace

TEST_CASE("finish completes the batch in the tracker, counts it and frees its chunks") {
  BufferPool pool(4 * 4096, 4096);
  AckTracker acks;
  auto metrics = std::make_shared<MetricsRegistry>();
  MetricsScope scope(metrics, {{"pipeline", "t"}});
  Acknowledger a(acks, scope);
  auto s = acks.open(FileIdentity{1, 2, 0, 0}, "/a.log", 0);
  Batch* first = batch(acks, s, pool, 0, 3);
  Batch* second = batch(acks, s, pool, 3, 4);
  Batch* third = batch(acks, s, pool, 7, 5);
  CHECK(pool.in_use() == 3);
  a.finish(second, false);  // a failed batch holds the offset back
  a.finish(first, true);
  CHECK(acks.committed(*s) == 3);
  a.finish(third, true);
  CHECK(acks.committed(*s) == 3);
  CHECK(acks.in_flight() == 0);
  CHECK(a.events_acked() == 8);
  CHECK(a.events_failed() == 4);
  CHECK(pool.in_use() == 0);
  CHECK(scope.counter("logagent_pipeline_batches_failed_total", "").value() == 1);
  const std::string text = metrics->render();
  CHECK(text.find("logagent_pipeline_delivery_latency_seconds_count{pipeline=\"t\"} 3") !=
        std::string::npos);
}
