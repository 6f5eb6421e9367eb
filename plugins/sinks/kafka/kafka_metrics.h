// KafkaMetrics: the kafka sink's metrics, declared once (kKafkaMetrics; labels pipeline and sink
// come from the PluginContext's scope).
//
// Hot paths (delivery reports, producer errors, queue-full waits) only bump plain atomics;
// publish(), called by the sink's poll thread every ~100 ms, moves the deltas into the Prometheus
// counters, so no Prometheus update happens per message.
//
// Threads: note_*() from any thread except note_stats(); note_stats(), publish() and the gauges
// from the poll thread only.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/api/metrics.h"
#include "plugins/sinks/kafka/kafka_stats.h"

namespace logagent::plugins::kafka {

inline constexpr MetricDef kMessagesInFlight{
    "logagent_kafka_messages_in_flight", MetricKind::kGauge, "pipeline,sink",
    "Messages queued in librdkafka or awaiting a broker acknowledgement"};
inline constexpr MetricDef kBatchesPending{
    "logagent_kafka_batches_pending", MetricKind::kGauge, "pipeline,sink",
    "Batches written to the kafka sink, not yet acknowledged"};
inline constexpr MetricDef kBrokerUp{"logagent_kafka_broker_up", MetricKind::kGauge,
                                     "pipeline,sink",
                                     "1 when a connection to at least one broker is up"};
inline constexpr MetricDef kBrokerRtt{
    "logagent_kafka_broker_rtt_seconds", MetricKind::kGauge, "pipeline,sink",
    "Mean request round-trip time of the connected brokers (librdkafka statistics)"};
inline constexpr MetricDef kProducerRecreated{
    "logagent_kafka_producer_recreated_total", MetricKind::kCounter, "pipeline,sink",
    "Producers re-created after a fatal librdkafka error (their unacknowledged batches are "
    "written again)"};
inline constexpr MetricDef kDeliveredMessages{"logagent_kafka_delivered_messages_total",
                                              MetricKind::kCounter, "pipeline,sink",
                                              "Kafka messages persisted by the brokers"};
inline constexpr MetricDef kDeliveredBytes{
    "logagent_kafka_delivered_bytes_total", MetricKind::kCounter, "pipeline,sink",
    "Payload bytes of the messages persisted by the brokers"};
inline constexpr MetricDef kRetries{"logagent_kafka_retries_total", MetricKind::kCounter,
                                    "pipeline,sink",
                                    "Messages produced again after a retriable failure"};
inline constexpr MetricDef kQueueFullWaits{
    "logagent_kafka_queue_full_total", MetricKind::kCounter, "pipeline,sink",
    "Times a lane waited because the producer queue was full"};
inline constexpr MetricDef kErrors{
    "logagent_kafka_errors_total", MetricKind::kCounter, "pipeline,sink,reason",
    "Kafka errors (delivery reports and client errors), by librdkafka error name"};
inline constexpr MetricDef kLeaderChanges{
    "logagent_kafka_leader_changes_total", MetricKind::kCounter, "pipeline,sink",
    "Partition leaders seen to move to another broker (librdkafka statistics): a broker failed, "
    "hung or was restarted"};
inline constexpr MetricDef kRequestRetries{
    "logagent_kafka_request_retries_total", MetricKind::kCounter, "pipeline,sink",
    "Requests librdkafka sent to a broker again after a timeout or a retriable error "
    "(librdkafka statistics, txretries)"};
inline constexpr MetricDef kEventsDeadLettered{
    "logagent_sink_events_dead_lettered_total", MetricKind::kCounter, "pipeline,sink",
    "Events written to the dead-letter file after a permanent error"};
inline constexpr MetricDef kTransactions{
    "logagent_kafka_transactions_total", MetricKind::kCounter, "pipeline,sink,result",
    "delivery: exactly_once: Kafka transactions ended, by result (committed, aborted)"};
inline constexpr MetricDef kKafkaMetrics[] = {kMessagesInFlight,   kBatchesPending,
                                              kBrokerUp,           kBrokerRtt,
                                              kProducerRecreated,  kDeliveredMessages,
                                              kDeliveredBytes,     kRetries,
                                              kQueueFullWaits,     kErrors,
                                              kLeaderChanges,      kRequestRetries,
                                              kEventsDeadLettered, kTransactions};

class KafkaMetrics {
 public:
  explicit KafkaMetrics(const MetricsScope& scope);

  void note_error(rd_kafka_resp_err_t err);
  void note_delivered(uint64_t messages, uint64_t bytes) {
    delivered_msgs_.fetch_add(messages, std::memory_order_relaxed);
    delivered_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void note_retries(uint64_t n) { retries_.fetch_add(n, std::memory_order_relaxed); }
  void note_queue_full() { queue_full_.fetch_add(1, std::memory_order_relaxed); }
  void note_dead_lettered(uint64_t events) {
    dead_lettered_.fetch_add(events, std::memory_order_relaxed);
  }

  // Partitions whose leader moved between two statistics: how many, and the first few as
  // "topic/partition 1->2" for the log.
  struct LeaderMoves {
    uint64_t count = 0;
    std::string sample;
  };
  // Counts what `stats` shows since the previous call: partition leaders that moved (a partition
  // seen for the first time, or without a leader, is not a move) and broker request retries.
  LeaderMoves note_stats(const BrokerStats& stats);

  // Moves the accumulated counts into the Prometheus counters (poll thread).
  void publish();

  Gauge in_flight;        // messages queued in librdkafka or in flight
  Gauge batches_pending;  // batches written to the sink and not yet acknowledged
  Gauge broker_up;
  Gauge broker_rtt;
  Counter producers_recreated;     // poll thread: fatal errors answered by a new producer
  Counter transactions_committed;  // poll thread (delivery: exactly_once)
  Counter transactions_aborted;

 private:
  static constexpr int kMinErr = -200;  // librdkafka's internal errors start at -200
  static constexpr int kMaxErr = 200;

  MetricsScope scope_;
  std::array<std::atomic<uint64_t>, kMaxErr - kMinErr + 1> errors_{};
  std::atomic<uint64_t> delivered_msgs_{0}, delivered_bytes_{0}, retries_{0}, queue_full_{0},
      dead_lettered_{0};
  std::map<int, Counter> error_counters_;  // poll thread only
  // note_stats(): the last known leader per (topic, partition) and the last txretries sum.
  std::map<std::pair<std::string, int32_t>, int32_t> leaders_;
  uint64_t request_retries_seen_ = 0;
  Counter delivered_msgs_total_, delivered_bytes_total_, retries_total_, queue_full_total_,
      dead_lettered_total_, leader_changes_total_, request_retries_total_;
};

}  // namespace logagent::plugins::kafka

namespace logagent {
namespace plugins::kafka {
class KafkaSink;
}  // namespace plugins::kafka
template <>
struct PluginMetrics<plugins::kafka::KafkaSink> {
  static std::vector<MetricDef> defs() {
    return {std::begin(plugins::kafka::kKafkaMetrics), std::end(plugins::kafka::kKafkaMetrics)};
  }
};
}  // namespace logagent
