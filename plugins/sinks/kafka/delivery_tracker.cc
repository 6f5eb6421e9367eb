#include "plugins/sinks/kafka/delivery_tracker.h"

#include "agent/core/clock.h"

namespace logagent::plugins::kafka {

Outcome classify(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Outcome::kDelivered;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
      return Outcome::kPermanent;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return Outcome::kRetryForAWhile;
    default:
      // Timeouts, transport and leader errors, purges, fatal idempotence errors: all retried.
      return Outcome::kRetry;
  }
}

DeliveryTracker::~DeliveryTracker() { fail_all(); }

Outcome DeliveryTracker::judge(MessageRef& ref, rd_kafka_resp_err_t err, int64_t now_ns) const {
  const Outcome outcome = classify(err);
  if (outcome != Outcome::kRetryForAWhile) return outcome;
  if (ref.unknown_since_ns == 0) ref.unknown_since_ns = now_ns;
  return now_ns - ref.unknown_since_ns >= unknown_topic_timeout_ns_ ? Outcome::kPermanent
                                                                    : Outcome::kRetry;
}

DeliveryRecord* DeliveryTracker::open(const Batch& batch, SinkAck ack) {
  auto rec = std::make_unique<DeliveryRecord>(batch, std::move(ack));
  DeliveryRecord* r = rec.get();
  std::lock_guard lock(mu_);
  live_.emplace(r, std::move(rec));
  return r;
}

void DeliveryTracker::release(DeliveryRecord* r, uint32_t n) {
  if (n == 0 || r->outstanding.fetch_sub(n, std::memory_order_acq_rel) != n) return;
  std::unique_ptr<DeliveryRecord> owned;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(r);
    if (it == live_.end()) return;
    owned = std::move(it->second);
    live_.erase(it);
  }
  listener_.on_complete(std::move(owned));
}

void DeliveryTracker::settle(MessageRef* ref, rd_kafka_resp_err_t dead_err, bool give_up) {
  DeliveryRecord* r = ref->record;
  if (give_up) r->failed.store(true, std::memory_order_relaxed);
  if (dead_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::lock_guard lock(r->mu);
    r->dead.push_back({ref->event, dead_err, topic_of(*ref), {}, {}});
  }
  release(r);
}

void DeliveryTracker::settle_refused(MessageRef* ref, std::string topic, std::string why) {
  DeliveryRecord* r = ref->record;
  {
    std::lock_guard lock(r->mu);
    r->dead.push_back(
        {ref->event, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, nullptr, std::move(topic), std::move(why)});
  }
  release(r);
}

void DeliveryTracker::on_delivery(const rd_kafka_message_t& m) {
  DeliveryReport report{
      static_cast<MessageRef*>(m._private), m.err, m.partition, m.payload, m.len, nullptr};
  rd_kafka_headers_t* hdrs = nullptr;
  const Outcome outcome = classify(m.err);
  if ((outcome == Outcome::kRetry || outcome == Outcome::kRetryForAWhile) &&
      rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    report.headers = hdrs;
  }
  on_report(report);
}

void DeliveryTracker::on_report(const DeliveryReport& report) {
  MessageRef* ref = report.ref;
  if (ref == nullptr) return;
  const int64_t now = mono_now_ns();
  const Outcome outcome = judge(*ref, report.err, now);
  if (outcome == Outcome::kDelivered) {
    settle(ref, RD_KAFKA_RESP_ERR_NO_ERROR, false);
    return;
  }
  listener_.on_error(report.err, outcome == Outcome::kPermanent, *ref);
  if (outcome == Outcome::kPermanent) {
    settle(ref, report.err, false);
    return;
  }
  rd_kafka_headers_t* headers =
      report.headers != nullptr ? rd_kafka_headers_copy(report.headers) : nullptr;
  if (classify(report.err) == Outcome::kRetryForAWhile) {
    // The topic may come back with another partition count: partitioned again, after a pause.
    retry_later(ref, RD_KAFKA_PARTITION_UA, report.payload, report.len, headers,
                now + kUnknownTopicBackoffNs);
    return;
  }
  retry_later(ref, report.partition, report.payload, report.len, headers);
}

void DeliveryTracker::retry_later(MessageRef* ref, int32_t partition, void* payload, size_t len,
                                  rd_kafka_headers_t* headers, int64_t not_before_ns) {
  if (aborting()) {
    if (headers != nullptr) rd_kafka_headers_destroy(headers);
    settle(ref, RD_KAFKA_RESP_ERR_NO_ERROR, true);
    return;
  }
  std::lock_guard lock(mu_);
  retries_.push_back({ref, partition, payload, len, headers, not_before_ns});
  retries_pending_.store(retries_.size(), std::memory_order_release);
}

std::deque<OutMessage> DeliveryTracker::take_retries() {
  std::lock_guard lock(mu_);
  std::deque<OutMessage> out;
  out.swap(retries_);
  // Still pending until produced: lanes keep waiting so new messages do not overtake them.
  return out;
}

void DeliveryTracker::put_back(std::deque<OutMessage> retries) {
  std::lock_guard lock(mu_);
  while (!retries_.empty()) {
    retries.push_back(retries_.front());
    retries_.pop_front();
  }
  retries_.swap(retries);
  retries_pending_.store(retries_.size(), std::memory_order_release);
}

void DeliveryTracker::abort() {
  aborting_.store(true, std::memory_order_release);
  std::deque<OutMessage> pending;
  {
    // Taken and counted as one step: a retry_later() that slipped in between would be queued
    // with a pending count of 0, never produced, and its record never completed.
    std::lock_guard lock(mu_);
    pending.swap(retries_);
    retries_pending_.store(0, std::memory_order_release);
  }
  for (OutMessage& r : pending) {
    if (r.headers != nullptr) rd_kafka_headers_destroy(r.headers);
    settle(r.ref, RD_KAFKA_RESP_ERR_NO_ERROR, true);
  }
}

size_t DeliveryTracker::open_records() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

void DeliveryTracker::fail_all() {
  std::unordered_map<DeliveryRecord*, std::unique_ptr<DeliveryRecord>> live;
  std::deque<OutMessage> retries;
  {
    std::lock_guard lock(mu_);
    live.swap(live_);
    retries.swap(retries_);
    retries_pending_.store(0, std::memory_order_release);
  }
  for (OutMessage& r : retries) {
    if (r.headers != nullptr) rd_kafka_headers_destroy(r.headers);
  }
  for (auto& [ptr, rec] : live) rec->ack.retry("the producer was closed");
}

}  // namespace logagent::plugins::kafka
