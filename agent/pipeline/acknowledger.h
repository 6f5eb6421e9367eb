// Acknowledger: the end of a batch's way. When the last sink has answered, the batch is
// completed in the AckTracker (which moves the committed offset), counted, its read-to-ack
// latency observed, and freed (its chunks return to the pool).
//
// Threads: finish() from any sink's acknowledging thread; the counts from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "agent/api/batch.h"
#include "agent/api/metrics.h"
#include "agent/pipeline/ack_tracker.h"

namespace logagent {

inline constexpr MetricDef kPipelineBatchesFailed{
    "logagent_pipeline_batches_failed_total", MetricKind::kCounter, "pipeline",
    "Batches not delivered by every sink (rejected, or still retried at the shutdown deadline): "
    "not committed, read again after a restart"};
inline constexpr MetricDef kPipelineDeliveryLatency{
    "logagent_pipeline_delivery_latency_seconds", MetricKind::kHistogram, "pipeline",
    "Time from reading a batch to its acknowledgement by every sink"};
inline constexpr MetricDef kAcknowledgerMetrics[] = {kPipelineBatchesFailed,
                                                     kPipelineDeliveryLatency};

class Acknowledger {
 public:
  Acknowledger(AckTracker& acks, const MetricsScope& scope);

  // Every sink has answered `batch`; ok=false when one failed it. Deletes the batch.
  void finish(Batch* batch, bool ok);

  uint64_t events_acked() const { return events_acked_.load(std::memory_order_relaxed); }
  uint64_t events_failed() const { return events_failed_.load(std::memory_order_relaxed); }

 private:
  AckTracker& acks_;
  Counter batches_failed_;
  Histogram latency_;
  std::atomic<uint64_t> events_acked_{0};
  std::atomic<uint64_t> events_failed_{0};
};

}  // namespace logagent
