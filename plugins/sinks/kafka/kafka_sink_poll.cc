// KafkaSink: the poll thread, librdkafka's callbacks, and batch completion (acknowledgement and
// dead-lettering).
#include <fmt/format.h>

#include <spdlog/spdlog.h>
#include <utility>

#include "agent/codec/event_encoder.h"
#include "agent/core/clock.h"
#include "plugins/sinks/kafka/auth_failure.h"
#include "plugins/sinks/kafka/kafka_sink.h"
#include "plugins/sinks/kafka/kafka_stats.h"

namespace logagent::plugins::kafka {
namespace {

constexpr auto kPublishEvery = std::chrono::milliseconds(100);

int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void KafkaSink::poll_loop(std::stop_token stop) {
  rd_kafka_t* rk = producer_->get();
  auto next_publish = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    if (txn_) serve_transactions();  // never re-creates the producer: the pipeline restarts
    if (!txn_ && fatal_.load() && !recovering_.load()) begin_recovery();
    if (recovering_.load() && try_finish_recovery()) rk = producer_->get();
    if (abort_.stop_requested() && !tracker_.aborting()) {
      const size_t open = tracker_.open_records();
      if (open > 0) spdlog::warn("{}: shutdown deadline: giving up {} batches", name_, open);
      tracker_.abort();
    }
    if (tracker_.aborting() && rd_kafka_outq_len(rk) > 0) {
      rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    }
    produce_retries();
    const int served = rd_kafka_poll(rk, 20);
    settle_delivered();
    if (served > 0 || tracker_.aborting()) space_cv_.notify_all();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_publish) {
      next_publish = now + kPublishEvery;
      metrics_.in_flight.set(static_cast<double>(rd_kafka_outq_len(rk)));
      metrics_.batches_pending.set(static_cast<double>(tracker_.open_records()));
      metrics_.publish();
      space_cv_.notify_all();
      // A fatal error reported without an error callback (belt and braces).
      if (!fatal_.load() && rd_kafka_fatal_error(rk, nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fatal_.store(true);
      }
    }
  }
  metrics_.publish();
}

void KafkaSink::begin_recovery() {
  char buf[512] = {0};
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(producer_->get(), buf, sizeof(buf));
  {
    std::lock_guard lock(log_mu_);
    fatal_reason_ = fmt::format("{} ({})", buf, rd_kafka_err2name(err));
  }
  recovering_.store(true);
  const size_t open = tracker_.open_records();
  spdlog::error(
      "{}: fatal producer error: {}; re-creating the producer: {} unacknowledged batch(es) will "
      "be written again (what of them Kafka already has is sent twice)",
      name_, fatal_reason_, open);
  tracker_.abort();  // open batches are given up: answered retry
  rd_kafka_purge(producer_->get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  space_cv_.notify_all();  // lanes waiting for queue space give up too
}

bool KafkaSink::try_finish_recovery() {
  rd_kafka_t* rk = producer_->get();
  if (rd_kafka_outq_len(rk) > 0 || tracker_.open_records() > 0 || writers_.load() > 0) {
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    return false;  // the loop polls the old producer: its reports settle what is left
  }
  if (abort_.stop_requested()) return false;  // shutting down: no new producer
  auto fresh = make_producer();
  if (!fresh) {
    spdlog::error("{}: cannot re-create the producer: {}; trying again", name_, fresh.message());
    return false;
  }
  producer_ = std::move(fresh.value());  // the old one is destroyed: nothing refers to it
  broker_up_ = false;
  metrics_.broker_up.set(0);
  tracker_.resume();
  fatal_.store(false);
  recovering_.store(false);
  metrics_.producers_recreated.inc();
  std::lock_guard lock(log_mu_);
  logged_.clear();  // the next outage is logged again
  spdlog::warn("{}: producer re-created after: {}", name_, fatal_reason_);
  return true;
}

void KafkaSink::dr_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  if (m->_private == &checkpoint_tag_) return;  // its failure fails the commit
  auto* ref = static_cast<MessageRef*>(m->_private);
  if (ref != nullptr && m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Reports come in runs of one record's messages: settled together after the poll.
    DeliveredRun& d = self->delivered_;
    if (d.record != ref->record) {
      if (d.record != nullptr) self->tracker_.settle_delivered(d.record, d.messages);
      d.record = ref->record;
      d.messages = 0;
    }
    ++d.messages;
    ++d.total;
    d.bytes += m->len;
    return;
  }
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) self->metrics_.note_error(m->err);
  // exactly_once: the broker's refusal dooms the transaction (librdkafka makes it abortable).
  if (self->txn_ && ref != nullptr && m->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
      self->tracker_.judge(*ref, m->err, mono_now_ns()) == Outcome::kPermanent) {
    self->refused_in_transaction(*ref, m->err);
  }
  self->tracker_.on_delivery(*m);
}

void KafkaSink::settle_delivered() {
  DeliveredRun d = std::exchange(delivered_, DeliveredRun{});
  if (d.total > 0) metrics_.note_delivered(d.total, d.bytes);
  if (d.record != nullptr) tracker_.settle_delivered(d.record, d.messages);
}

int KafkaSink::stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<KafkaSink*>(opaque)->handle_stats(std::string_view(json, len));
  return 0;  // librdkafka frees json
}

void KafkaSink::handle_stats(std::string_view json) {
  auto stats = parse_broker_stats(json);
  if (!stats) return;
  const bool up = stats->brokers_up > 0;
  metrics_.broker_up.set(up ? 1 : 0);
  metrics_.broker_rtt.set(stats->rtt_seconds);
  if (const auto moved = metrics_.note_stats(*stats); moved.count > 0) {
    spdlog::info("{}: {} partition leader(s) moved: {}", name_, moved.count, moved.sample);
  }
  if (up && !broker_up_) {
    std::lock_guard lock(log_mu_);
    if (!logged_.empty()) spdlog::info("{}: connected to Kafka again", name_);
    logged_.clear();  // the next outage is logged again
    auth_error_.clear();
    cert_problem_.clear();
  }
  broker_up_ = up;
}

void KafkaSink::error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  (void)rk;
  static_cast<KafkaSink*>(opaque)->handle_error(static_cast<rd_kafka_resp_err_t>(err), reason);
}

void KafkaSink::handle_error(rd_kafka_resp_err_t err, const char* reason) {
  metrics_.note_error(err);
  if (err == RD_KAFKA_RESP_ERR__FATAL) fatal_.store(true);  // the poll loop re-creates it
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    metrics_.broker_up.set(0);
    broker_up_ = false;
  }
  // A handshake that fails after OpenSSL's verdict is reported as a transport error.
  if (err == RD_KAFKA_RESP_ERR__TRANSPORT && mentions_tls_failure(reason)) {
    err = RD_KAFKA_RESP_ERR__SSL;
  }
  std::lock_guard lock(log_mu_);
  if (is_auth_failure(err)) {
    // One error line per cause (a certificate refused for another reason is a new cause);
    // /ready shows the latest (librdkafka tries again every second).
    auth_error_ = auth_failure_message(err, reason, cert_problem_);
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION && scram_) auth_error_ += scram_note();
    if (logged_.insert(fmt::format("auth:{}:{}", rd_kafka_err2name(err), cert_problem_)).second) {
      spdlog::error("{}: {}; retrying, /ready says so until a broker is connected", name_,
                    auth_error_);
    }
    return;
  }
  if (!logged_.insert(std::string("client:") + rd_kafka_err2name(err)).second) return;
  if (err == RD_KAFKA_RESP_ERR__FATAL) return;  // logged when the recovery begins
  spdlog::warn("{}: {} ({}); retrying", name_, reason, rd_kafka_err2name(err));
}

int KafkaSink::cert_verify_cb(rd_kafka_t*, const char*, int32_t, int* x509_error, int depth,
                              const char*, size_t, char* errstr, size_t errstr_size, void* opaque) {
  if (*x509_error == 0) return 1;  // OpenSSL's verdict stands: this certificate is fine
  const std::string problem = certificate_problem(*x509_error);
  fmt::format_to_n(errstr, errstr_size - 1, "{} (depth {})", problem, depth).out[0] = '\0';
  auto* self = static_cast<KafkaSink*>(opaque);
  std::lock_guard lock(self->log_mu_);
  self->cert_problem_ = problem;
  return 0;
}

void KafkaSink::log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  // librdkafka logs each failed TLS handshake or SASL login itself, again after reconnects;
  // the error callback reports them once, with their cause.
  if (level <= 4 && mentions_auth_failure(fac, buf)) {
    spdlog::debug("librdkafka: {}: {}", fac, buf);
  } else if (level <= 3) {
    spdlog::error("librdkafka: {}: {}", fac, buf);
  } else if (level == 4) {
    spdlog::warn("librdkafka: {}: {}", fac, buf);
  } else if (level <= 6) {
    spdlog::info("librdkafka: {}: {}", fac, buf);
  } else {
    spdlog::debug("librdkafka: {}: {}", fac, buf);
  }
}

thread_local KafkaSink::Chosen KafkaSink::chosen_;

int32_t KafkaSink::partition_cb(const rd_kafka_topic_t* rkt, const void* key, size_t keylen,
                                int32_t partition_cnt, void* rkt_opaque, void* msg_opaque) {
  int32_t partition = 0;
  if (keylen > 0) {
    partition =
        rd_kafka_msg_partitioner_murmur2(rkt, key, keylen, partition_cnt, rkt_opaque, msg_opaque);
  } else {
    const auto* ref = static_cast<const MessageRef*>(msg_opaque);
    const uint64_t h = ref != nullptr ? ref->record->partition_hash : 0;
    partition = static_cast<int32_t>(h % static_cast<uint64_t>(partition_cnt));
  }
  chosen_ = Chosen{msg_opaque, partition};
  return partition;
}

void KafkaSink::on_error(rd_kafka_resp_err_t err, bool permanent, const MessageRef& ref) {
  rd_kafka_topic_t* rkt = topic_of(ref);
  const char* topic = rkt != nullptr ? rd_kafka_topic_name(rkt) : "?";
  if (!permanent) {
    // Retried; client-level causes are logged by handle_error. An unknown topic is logged once
    // per topic (max_topics bounds them) until the sink is connected again.
    if (classify(err) != Outcome::kRetryForAWhile) return;
    std::lock_guard lock(log_mu_);
    if (!logged_.insert(fmt::format("unknown:{}", topic)).second) return;
    spdlog::warn(
        "{}: Kafka does not know topic {} or its partition ({}): its messages are retried for "
        "up to {} (unknown_topic_timeout), then {}",
        name_, topic, rd_kafka_err2name(err), format_value(Duration{unknown_topic_timeout_}),
        dead_letter_enabled_ ? "dead-lettered" : "the pipeline stops (dead_letter: false)");
    return;
  }
  std::lock_guard lock(log_mu_);
  if (!logged_.insert(fmt::format("permanent:{}:{}", topic, static_cast<int>(err))).second) {
    return;
  }
  spdlog::error("{}: Kafka refused messages for topic {} for good: {} ({}); {}", name_, topic,
                rd_kafka_err2str(err), rd_kafka_err2name(err),
                dead_letter_enabled_ ? "their events go to " + dlq_.path()
                                     : std::string("the pipeline stops (dead_letter: false)"));
}

void KafkaSink::on_complete(std::unique_ptr<DeliveryRecord> record) {
  std::string why;
  if (record->failed.load(std::memory_order_relaxed)) {
    why = "messages given up at shutdown";
    if (recovering_.load()) {
      std::lock_guard lock(log_mu_);
      why = "the Kafka producer failed for good (" + fatal_reason_ + "); re-creating it";
    }
    if (txn_) {
      std::lock_guard lock(txn_->mu);
      if (!txn_->failed.empty()) why = txn_->failed;
    }
    record->ack.retry(why);
  } else if (!record->dead.empty() && doomed_transaction(why)) {
    // Not dead-lettered now: the retry after the abort does it, once.
    record->ack.retry(why);
  } else if (!record->dead.empty() && !dead_letter(*record, why)) {
    record->ack.rejected(why);
  } else {
    record->ack.delivered();
  }
  space_cv_.notify_all();
}

bool KafkaSink::doomed_transaction(std::string& why) const {
  if (!txn_) return false;
  std::lock_guard lock(txn_->mu);
  why = !txn_->failed.empty() ? txn_->failed : txn_->doomed;
  return !why.empty();
}

bool KafkaSink::dead_letter(const DeliveryRecord& record, std::string& why) {
  if (!dead_letter_enabled_) {
    const DeadMessage& first = record.dead.front();
    if (!first.refused_why.empty()) {
      why = fmt::format("{} message(s) not produced ({}) and dead_letter is false",
                        record.dead.size(), first.refused_why);
      return false;
    }
    why =
        fmt::format("Kafka refused {} message(s) for good ({}: {}) and dead_letter is false",
                    record.dead.size(), rd_kafka_err2name(first.err), rd_kafka_err2str(first.err));
    return false;
  }
  const Batch& batch = *record.batch;
  std::string prefix = "{\"time\":\"" + format_rfc3339_us(unix_now_ns()) + "\",\"reason\":\"";
  std::string lines;
  size_t events = 0;
  auto add = [&](const Event& e, const DeadMessage& d) {
    const rd_kafka_resp_err_t err = d.err;
    const std::string_view topic =
        d.rkt != nullptr ? std::string_view(rd_kafka_topic_name(d.rkt)) : d.refused_topic;
    lines += prefix;
    lines += rd_kafka_err2name(err);
    lines += "\",\"error\":";
    append_json_string(lines, d.refused_why.empty() ? std::string_view(rd_kafka_err2str(err))
                                                    : std::string_view(d.refused_why));
    lines += ",\"topic\":";
    append_json_string(lines, topic);
    lines += ",\"file\":";
    append_json_string(lines, batch.source ? std::string_view(batch.source->path) : "");
    lines += fmt::format(",\"offset\":{},\"message\":", e.offset);
    append_json_string(lines, e.message);
    lines += "}\n";
    ++events;
  };
  for (const DeadMessage& d : record.dead) {
    if (d.event != MessageRef::kWholeBatch) {
      add(batch.events[d.event], d);
      continue;
    }
    for (const Event& e : batch.events) {
      if ((e.flags & kEventDropped) == 0) add(e, d);
    }
  }
  if (Status st = dlq_.append(lines); !st) {
    why = "Kafka refused messages for good and the dead-letter write failed: " + st.message();
    return false;
  }
  metrics_.note_dead_lettered(events);
  return true;
}

}  // namespace logagent::plugins::kafka
