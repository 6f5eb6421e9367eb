#include "plugins/sinks/kafka/kafka_metrics.h"

#include <fmt/format.h>

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
      transactions_committed(scope.counter(kTransactions, {{"result", "committed"}})),
      transactions_aborted(scope.counter(kTransactions, {{"result", "aborted"}})),
      scope_(scope),
      delivered_msgs_total_(scope.counter(kDeliveredMessages)),
      delivered_bytes_total_(scope.counter(kDeliveredBytes)),
      retries_total_(scope.counter(kRetries)),
      queue_full_total_(scope.counter(kQueueFullWaits)),
      dead_lettered_total_(scope.counter(kEventsDeadLettered)),
      leader_changes_total_(scope.counter(kLeaderChanges)),
      request_retries_total_(scope.counter(kRequestRetries)) {}

void KafkaMetrics::note_error(rd_kafka_resp_err_t err) {
  const int code = std::clamp(static_cast<int>(err), kMinErr, kMaxErr);
  errors_[static_cast<size_t>(code - kMinErr)].fetch_add(1, std::memory_order_relaxed);
}

KafkaMetrics::LeaderMoves KafkaMetrics::note_stats(const BrokerStats& stats) {
  constexpr uint64_t kSampled = 4;  // moves named in the log line
  LeaderMoves moves;
  for (const BrokerStats::Leader& l : stats.leaders) {
    if (l.broker < 0) continue;  // no leader now: the move is counted when one is known
    auto [it, fresh] = leaders_.try_emplace({l.topic, l.partition}, l.broker);
    if (fresh || it->second == l.broker) continue;
    if (moves.count++ < kSampled) {
      moves.sample += fmt::format("{}{}/{} {}->{}", moves.sample.empty() ? "" : ", ", l.topic,
                                  l.partition, it->second, l.broker);
    }
    it->second = l.broker;
  }
  if (moves.count > kSampled) moves.sample += ", ...";
  if (moves.count > 0) leader_changes_total_.add(static_cast<double>(moves.count));
  // Each broker counts from its connection's start; a smaller sum means brokers were dropped or
  // the producer re-created: start again from there.
  if (stats.request_retries > request_retries_seen_) {
    request_retries_total_.add(static_cast<double>(stats.request_retries - request_retries_seen_));
  }
  request_retries_seen_ = stats.request_retries;
  return moves;
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
