// KafkaSink: producing messages with backpressure. Lane threads produce a batch's messages and
// wait while librdkafka's queue is full; the poll thread produces queued retries and never waits
// (it is the thread that frees the queue). Both go through produce_with_backpressure, the one
// place that decides what a full queue, a refusal and the sink giving up (abort) mean.
#include <spdlog/spdlog.h>

#include "agent/core/clock.h"
#include "plugins/sinks/kafka/kafka_sink.h"
#include "plugins/sinks/kafka/message_builder.h"

namespace logagent::plugins::kafka {

template <class Attempt, class GiveUp>
size_t KafkaSink::produce_with_backpressure(size_t count, Wait wait, Attempt&& attempt,
                                            GiveUp&& give_up) {
  size_t i = 0;
  while (i < count) {
    i = attempt(i);
    if (i == count) break;
    if (wait == Wait::kNo) return i;
    if (!wait_for_space()) {
      for (; i < count; ++i) give_up(i);
    }
  }
  return count;
}

KafkaSink::Sent KafkaSink::produce_one(const OutMessage& m, Wait wait) {
  const std::string_view key = key_of(*m.ref);
  Sent sent = Sent::kQueueFull;
  auto attempt = [&](size_t) -> size_t {
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(producer_->get(), RD_KAFKA_V_RKT(topic_of(*m.ref)),
                          RD_KAFKA_V_PARTITION(m.partition), RD_KAFKA_V_VALUE(m.payload, m.len),
                          RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
                          RD_KAFKA_V_OPAQUE(m.ref), RD_KAFKA_V_HEADERS(m.headers), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return 0;
    sent = Sent::kQueued;  // librdkafka owns the headers now
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      sent = Sent::kRefused;
      produce_failed(m, err);
    }
    return 1;
  };
  auto give_up = [&](size_t) {
    sent = Sent::kGivenUp;
    if (m.headers != nullptr) rd_kafka_headers_destroy(m.headers);
    tracker_.settle(m.ref, RD_KAFKA_RESP_ERR_NO_ERROR, true);
  };
  produce_with_backpressure(1, wait, attempt, give_up);
  return sent;
}

void KafkaSink::produce_run(rd_kafka_topic_t* rkt, rd_kafka_message_t* msgs, size_t count,
                            bool same_key) {
  // Until the partition is learnt, a call produces only the first message (see the header).
  bool learn = same_key && own_partitioner_;
  int32_t partition = RD_KAFKA_PARTITION_UA;
  auto attempt = [&](size_t from) -> size_t {
    while (from < count) {
      const bool learning = learn && partition == RD_KAFKA_PARTITION_UA;
      const size_t n = learning ? 1 : count - from;
      if (learning) chosen_ = Chosen{};
      rd_kafka_produce_batch(rkt, partition, 0, &msgs[from], static_cast<int>(n));
      // A full queue fails the first message that does not fit and every one after it.
      for (size_t j = from; j < from + n; ++j) {
        rd_kafka_message_t& m = msgs[j];
        if (m.err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          for (size_t k = j; k < from + n; ++k) msgs[k].err = RD_KAFKA_RESP_ERR_NO_ERROR;
          return j;
        }
        if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          produce_failed(OutMessage{static_cast<MessageRef*>(m._private), RD_KAFKA_PARTITION_UA,
                                    m.payload, m.len, nullptr},
                         m.err);
        }
      }
      if (learning) {
        // Not partitioned now (no metadata yet: it waits in librdkafka's unassigned queue, which
        // the rest must not overtake), or refused: the rest go the usual way.
        if (msgs[from].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
            chosen_.msg_opaque == msgs[from]._private) {
          partition = chosen_.partition;
        } else {
          learn = false;
        }
      }
      from += n;
    }
    return count;
  };
  auto give_up = [&](size_t j) {
    tracker_.settle(static_cast<MessageRef*>(msgs[j]._private), RD_KAFKA_RESP_ERR_NO_ERROR, true);
  };
  produce_with_backpressure(count, Wait::kForSpace, attempt, give_up);
}

void KafkaSink::write_records(DeliveryRecord* r) {
  thread_local std::vector<rd_kafka_message_t> msgs;
  if (is_otlp(payload_format_)) {
    build_otlp(*r, payload_format_ == KafkaFormat::kOtlpProto, false, host_, msgs);
  } else {
    build_records(*r, format_, msgs, encoding() ? find_payload(*r->batch, *encoding()) : nullptr);
  }
  tracker_.add_messages(r, static_cast<uint32_t>(msgs.size()));
  const bool same_key = route_per_event(r, msgs);
  if (txn_ && refused_.size() > 0) drop_refused(msgs);
  if (same_key) {
    for (auto& m : msgs) {
      m.key = r->key.empty() ? nullptr : r->key.data();
      m.key_len = r->key.size();
    }
  }
  if (!headers_.empty()) {
    // Headers over event fields are rendered per message; otherwise once, then copied.
    rd_kafka_headers_t* proto = headers_use_fields_ ? nullptr : make_headers(*r->batch, 0, 1);
    for (auto& m : msgs) {
      auto* ref = static_cast<MessageRef*>(m._private);
      rd_kafka_headers_t* h =
          proto != nullptr ? rd_kafka_headers_copy(proto) : make_headers(*r->batch, ref->event, 1);
      produce_one(OutMessage{ref, RD_KAFKA_PARTITION_UA, m.payload, m.len, h}, Wait::kForSpace);
    }
    if (proto != nullptr) rd_kafka_headers_destroy(proto);
    return;
  }
  // rd_kafka_produce_batch takes one topic: produce each run of messages bound for the same one.
  size_t begin = 0;
  while (begin < msgs.size()) {
    rd_kafka_topic_t* rkt = topic_of(*static_cast<MessageRef*>(msgs[begin]._private));
    size_t end = begin + 1;
    while (end < msgs.size() && topic_of(*static_cast<MessageRef*>(msgs[end]._private)) == rkt) {
      ++end;
    }
    produce_run(rkt, msgs.data() + begin, end - begin, same_key);
    begin = end;
  }
}

void KafkaSink::drop_refused(std::vector<rd_kafka_message_t>& msgs) {
  size_t kept = 0;
  for (rd_kafka_message_t& m : msgs) {
    auto* ref = static_cast<MessageRef*>(m._private);
    if (const rd_kafka_resp_err_t err = refused_before(*ref); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      tracker_.settle(ref, err, false);  // dead: dead-lettered when the record completes
      continue;
    }
    msgs[kept++] = m;
  }
  msgs.resize(kept);
}

void KafkaSink::write_batch(DeliveryRecord* r) {
  tracker_.add_messages(r, 1);
  r->refs.assign(1, MessageRef{r, MessageRef::kWholeBatch});
  if (txn_ && refused_.size() > 0) {
    if (const rd_kafka_resp_err_t err = refused_before(r->refs.front());
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      tracker_.settle(&r->refs.front(), err, false);
      return;
    }
  }
  // The encode step's payload lives in the batch until it is acknowledged: no copy. Without one
  // (a batch that did not come through a lane), encode and compress here.
  const Payload* p = is_otlp(payload_format_) ? nullptr : find_payload(*r->batch, spec_);
  std::string_view payload;
  size_t events = 0;
  if (is_otlp(payload_format_)) {
    thread_local std::vector<rd_kafka_message_t> one;
    events = build_otlp(*r, payload_format_ == KafkaFormat::kOtlpProto, true, host_, one);
    payload = r->payload;
  } else if (p != nullptr) {
    payload = p->bytes;
    events = p->events;
    r->payload_bytes = payload.size();
  } else {
    auto built = build_batch_payload(*r, format_, zstd_, spec_.level);
    if (!built) {
      spdlog::error("{}: {}", name_, built.message());
      tracker_.settle(&r->refs.front(), RD_KAFKA_RESP_ERR_NO_ERROR, true);
      return;
    }
    payload = r->payload;
    events = built.value();
  }
  auto* data = const_cast<char*>(payload.data());  // never written by librdkafka (no F_FREE)
  produce_one(OutMessage{&r->refs.front(), RD_KAFKA_PARTITION_UA, data, payload.size(),
                         make_headers(*r->batch, 0, events)},
              Wait::kForSpace);
}

void KafkaSink::produce_failed(const OutMessage& m, rd_kafka_resp_err_t err) {
  metrics_.note_error(err);
  const int64_t now = mono_now_ns();
  const bool permanent = tracker_.judge(*m.ref, err, now) == Outcome::kPermanent;
  on_error(err, permanent, *m.ref);
  if (permanent) {
    if (m.headers != nullptr) rd_kafka_headers_destroy(m.headers);
    tracker_.settle(m.ref, err, false);
    return;
  }
  if (classify(err) == Outcome::kRetryForAWhile) {
    // Refused at once (librdkafka knows the topic does not exist now): not before a pause.
    tracker_.retry_later(m.ref, RD_KAFKA_PARTITION_UA, m.payload, m.len, m.headers,
                         now + DeliveryTracker::kUnknownTopicBackoffNs);
    return;
  }
  tracker_.retry_later(m.ref, m.partition, m.payload, m.len, m.headers);
}

void KafkaSink::produce_retries() {
  if (!tracker_.has_retries()) return;
  std::deque<OutMessage> retries = tracker_.take_retries();
  uint64_t produced = 0;
  // A full queue keeps the rest, in order, for the next round; a refusal is dead-lettered
  // (permanent) or queued again (retriable) by produce_failed.
  const int64_t now = mono_now_ns();
  while (!retries.empty()) {
    if (retries.front().not_before_ns > now) break;  // in order: the rest wait behind it
    const Sent sent = produce_one(retries.front(), Wait::kNo);
    if (sent == Sent::kQueueFull) break;
    retries.pop_front();
    if (sent == Sent::kQueued) ++produced;
  }
  metrics_.note_retries(produced);
  tracker_.put_back(std::move(retries));
}

bool KafkaSink::wait_for_space() {
  metrics_.note_queue_full();
  std::unique_lock lock(space_mu_);
  space_cv_.wait_for(lock, std::chrono::milliseconds(10));
  return !abort_.stop_requested() && !tracker_.aborting();
}

void KafkaSink::wait_for_retries() {
  // Retries of timed-out messages go first, so that new messages do not overtake them.
  while (tracker_.has_retries() && !abort_.stop_requested()) {
    std::unique_lock lock(space_mu_);
    space_cv_.wait_for(lock, std::chrono::milliseconds(10));
  }
}

}  // namespace logagent::plugins::kafka
