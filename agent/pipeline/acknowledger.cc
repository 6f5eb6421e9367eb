#include "agent/pipeline/acknowledger.h"

#include "agent/core/clock.h"

namespace logagent {

Acknowledger::Acknowledger(AckTracker& acks, const MetricsScope& scope)
    : acks_(acks),
      batches_failed_(scope.counter(kPipelineBatchesFailed)),
      latency_(scope.histogram(kPipelineDeliveryLatency,
                               {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120})) {}

void Acknowledger::finish(Batch* batch, bool ok) {
  acks_.completed(*batch, ok);
  const auto events = batch->events.size();
  if (ok) {
    events_acked_.fetch_add(events, std::memory_order_relaxed);
  } else {
    events_failed_.fetch_add(events, std::memory_order_relaxed);
    batches_failed_.inc();
  }
  latency_.observe(static_cast<double>(mono_now_ns() - batch->read_mono_ns) / 1e9);
  delete batch;  // returns its chunks to the pool
}

}  // namespace logagent
