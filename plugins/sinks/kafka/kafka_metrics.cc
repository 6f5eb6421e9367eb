#include "plugins/sinks/kafka/kafka_metrics.h"

#include <algorithm>

namespace logagent::plugins::kafka {
namespace {

// Adds what `pending` accumulated since the last call to `counter`.
void move_delta(std::atomic<uint64_t>& pending, const Counter& counter) {
  const uint64_t n = pending.exchange(0, std::memory_order_relaxed);
  if (n != 0) counter.add(static_cast<double>(n));
}

}  // namespace

KafkaMetrics::KafkaMetrics(const MetricsScope& scope)
    : in_flight(scope.gauge(kMessagesInFlight)),
      batches_pending(scope.gauge(kBatchesPending)),
      broker_up(scope.gauge(kBrokerUp)),
      broker_rtt(scope.gauge(kBrokerRtt)),
      producers_recreated(scope.counter(kProducerRecreated)),
      scope_(scope),
      delivered_msgs_total_(scope.counter(kDeliveredMessages)),
      delivered_bytes_total_(scope.counter(kDeliveredBytes)),
      retries_total_(scope.counter(kRetries)),
      queue_full_total_(scope.counter(kQueueFullWaits)),
      dead_lettered_total_(scope.counter(kEventsDeadLettered)) {}

void KafkaMetrics::note_error(rd_kafka_resp_err_t err) {
  const int code = std::clamp(static_cast<int>(err), kMinErr, kMaxErr);
  errors_[static_cast<size_t>(code - kMinErr)].fetch_add(1, std::memory_order_relaxed);
}

void KafkaMetrics::publish() {
  for (size_t i = 0; i < errors_.size(); ++i) {
    const uint64_t n = errors_[i].exchange(0, std::memory_order_relaxed);
    if (n == 0) continue;
    const int code = static_cast<int>(i) + kMinErr;
    auto it = error_counters_.find(code);
    if (it == error_counters_.end()) {
      const char* name = rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code));
      it = error_counters_.emplace(code, scope_.counter(kErrors, {{"reason", name}})).first;
    }
    it->second.add(static_cast<double>(n));
  }
  move_delta(delivered_msgs_, delivered_msgs_total_);
  move_delta(delivered_bytes_, delivered_bytes_total_);
  move_delta(retries_, retries_total_);
  move_delta(queue_full_, queue_full_total_);
  move_delta(dead_lettered_, dead_lettered_total_);
}

}  // namespace logagent::plugins::kafka
