// KafkaMetrics: the kafka sink's metrics, declared once (labels pipeline and sink come from the
// PluginContext's scope).
//
// Hot paths (delivery reports, producer errors, queue-full waits) only bump plain atomics;
// publish(), called by the sink's poll thread every ~100 ms, moves the deltas into the Prometheus
// counters, so no Prometheus update happens per message.
//
// Threads: note_*() from any thread; publish() and the gauges from the poll thread only.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>

#include "agent/api/metrics.h"

namespace logagent::plugins::kafka {

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

  // Moves the accumulated counts into the Prometheus counters (poll thread).
  void publish();

  Gauge in_flight;        // messages queued in librdkafka or in flight
  Gauge batches_pending;  // batches written to the sink and not yet acknowledged
  Gauge broker_up;
  Gauge broker_rtt;
  Counter producers_recreated;  // poll thread: fatal errors answered by a new producer

 private:
  static constexpr int kMinErr = -200;  // librdkafka's internal errors start at -200
  static constexpr int kMaxErr = 200;

  MetricsScope scope_;
  std::array<std::atomic<uint64_t>, kMaxErr - kMinErr + 1> errors_{};
  std::atomic<uint64_t> delivered_msgs_{0}, delivered_bytes_{0}, retries_{0}, queue_full_{0},
      dead_lettered_{0};
  std::map<int, Counter> error_counters_;  // poll thread only
  Counter delivered_msgs_total_, delivered_bytes_total_, retries_total_, queue_full_total_,
      dead_lettered_total_;
};

}  // namespace logagent::plugins::kafka
