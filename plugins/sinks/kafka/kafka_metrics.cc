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
    : in_flight(scope.gauge("logagent_kafka_messages_in_flight",
                            "Messages queued in librdkafka or awaiting a broker acknowledgement")),
      batches_pending(scope.gauge("logagent_kafka_batches_pending",
                                  "Batches written to the kafka sink, not yet acknowledged")),
      broker_up(scope.gauge("logagent_kafka_broker_up",
                            "1 when a connection to at least one broker is up")),
      broker_rtt(scope.gauge("logagent_kafka_broker_rtt_seconds",
                             "Mean request round-trip time of the connected brokers")),
      producers_recreated(scope.counter(
          "logagent_kafka_producer_recreated_total",
          "Producers re-created after a fatal librdkafka error (their unacknowledged batches "
          "are written again)")),
      scope_(scope),
      delivered_msgs_total_(scope.counter("logagent_kafka_delivered_messages_total",
                                          "Kafka messages persisted by the brokers")),
      delivered_bytes_total_(
          scope.counter("logagent_kafka_delivered_bytes_total",
                        "Payload bytes of the messages persisted by the brokers")),
      retries_total_(scope.counter("logagent_kafka_retries_total",
                                   "Messages produced again after a retriable failure")),
      queue_full_total_(scope.counter("logagent_kafka_queue_full_total",
                                      "Times a lane waited because the producer queue was full")),
      dead_lettered_total_(scope.counter("logagent_sink_events_dead_lettered_total",
                                         "Events written to the dead-letter file")) {}

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
      it = error_counters_
               .emplace(code, scope_.counter("logagent_kafka_errors_total",
                                             "Kafka errors (delivery reports and client errors)",
                                             {{"reason", name}}))
               .first;
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
