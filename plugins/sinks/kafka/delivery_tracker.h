// DeliveryTracker: maps librdkafka delivery reports back to the SinkAck of each batch.
//
// Every batch written to the sink gets a DeliveryRecord: its SinkAck, the bytes its messages point
// into (encoded events or the compressed batch, when they are not views into the batch's
// chunks), and one MessageRef per message, whose address is the message's opaque. A record
// counts its unsettled messages plus one "still producing" guard that seal() drops, so it cannot
// complete while its lane is still producing. A message settles when it is persisted, when it
// fails permanently (recorded as dead: the sink dead-letters it, or rejects the batch with
// `dead_letter: false`), or when it is given up at shutdown or after a fatal producer error (the
// record fails: its batch is answered retry). Retriable failures (timeouts, broker down, purges)
// are not settled: they are queued and produced again by the poll thread -- without limit, until
// abort(). When the last message settles, the record goes to the listener, which acknowledges.
//
// A record lives until its last message settles, so a delivery report must never arrive for a
// message of a completed record -- librdkafka reports each message once -- and none may arrive
// after the tracker is destroyed: its owner destroys the producer first (fail_all() then answers
// what is left).
//
// Threads: open/add/seal are called from lane threads, settle from lane threads and the poll
// thread; on_delivery(), take_retries(), put_back() and abort() from the poll thread (librdkafka
// serves dr_msg_cb there; the owner calls abort() too once that thread has stopped); fail_all()
// once the producer is gone. A mutex guards the set of
// live records and the retry queue; the outstanding count is an atomic (acq_rel, so the thread
// that completes a record sees every write made to it by other threads).
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/api/plugin.h"

namespace logagent::plugins::kafka {

struct DeliveryRecord;

struct MessageRef {
  static constexpr uint32_t kWholeBatch = UINT32_MAX;  // batch mode: the message holds all events
  DeliveryRecord* record;
  uint32_t event;  // index into batch->events, or kWholeBatch
  // Per-event routing (templates over event fields): the message's own topic (else the
  // record's) and its key, bytes [key_off, key_off + key_len) of record->keys (else record->key).
  uint32_t key_off = 0;
  uint32_t key_len = 0;
  rd_kafka_topic_t* rkt = nullptr;
  // When the message first failed because its topic or partition was unknown (monotonic ns;
  // 0: never). Touched only by the thread that holds the message (producer or poll thread).
  int64_t unknown_since_ns = 0;
};

struct DeadMessage {
  uint32_t event;
  rd_kafka_resp_err_t err;
  rd_kafka_topic_t* rkt;  // the topic it was meant for (null when the sink refused the topic)
  // A topic the sink itself refused (max_topics, a name librdkafka rejects): its name and why,
  // so the dead letter says where the event belonged. Empty otherwise.
  std::string refused_topic;
  std::string refused_why;
};

struct DeliveryRecord {
  DeliveryRecord(const Batch& b, SinkAck a) : batch(&b), ack(std::move(a)) {}

  const Batch* batch;
  SinkAck ack;
  rd_kafka_topic_t* rkt = nullptr;
  uint64_t partition_hash = 0;  // of the source path: the partition when there is no key
  std::string payload;          // bytes the messages point into (unless they view the chunks)
  std::string key;              // rendered key; empty: none
  std::string keys;             // per-event keys (a key template over event fields)
  bool per_event_keys = false;
  std::vector<MessageRef> refs;
  uint64_t payload_bytes = 0;  // sum of message sizes
  int64_t produced_mono_ns = 0;
  std::atomic<uint32_t> outstanding{1};  // unsettled messages + the producing guard
  std::atomic<bool> failed{false};       // a message was given up (shutdown, fatal error)
  std::mutex mu;
  std::vector<DeadMessage> dead;  // guarded by mu
};

// The topic and the key of a message.
inline rd_kafka_topic_t* topic_of(const MessageRef& ref) {
  return ref.rkt != nullptr ? ref.rkt : ref.record->rkt;
}
inline std::string_view key_of(const MessageRef& ref) {
  const DeliveryRecord& r = *ref.record;
  if (!r.per_event_keys) return r.key;
  return std::string_view(r.keys).substr(ref.key_off, ref.key_len);
}

// A message to produce (again): its topic and key come from `ref`; the payload lives in the
// record or the batch.
struct OutMessage {
  MessageRef* ref;
  int32_t partition;
  void* payload;
  size_t len;
  rd_kafka_headers_t* headers;  // owned, may be null
  int64_t not_before_ns = 0;    // not produced again before this (monotonic ns)
};

// What a delivery report says about one message.
struct DeliveryReport {
  MessageRef* ref;
  rd_kafka_resp_err_t err;
  int32_t partition;
  void* payload;
  size_t len;
  // The message's headers (not owned; copied when the message is to be retried), may be null.
  const rd_kafka_headers_t* headers = nullptr;
};

class DeliveryListener {
 public:
  virtual ~DeliveryListener() = default;
  // A failed delivery report (counted and logged by the sink).
  virtual void on_error(rd_kafka_resp_err_t err, bool permanent, const MessageRef& ref) = 0;
  // Every message of `record` settled. Runs on the thread that settled the last message.
  virtual void on_complete(std::unique_ptr<DeliveryRecord> record) = 0;
};

// kRetryForAWhile: the topic or partition is unknown to the cluster -- permanent if it stays
// so (a topic that does not exist), passing if it was deleted and created again, or is being
// created: retried until the message has failed this way for unknown_topic_timeout.
enum class Outcome { kDelivered, kRetry, kRetryForAWhile, kPermanent };
// What a delivery report's error means for the message.
Outcome classify(rd_kafka_resp_err_t err);

class DeliveryTracker {
 public:
  // Between two tries of a message whose topic or partition is unknown.
  static constexpr int64_t kUnknownTopicBackoffNs = 250'000'000;

  explicit DeliveryTracker(
      DeliveryListener& listener,
      std::chrono::nanoseconds unknown_topic_timeout = std::chrono::seconds(60))
      : listener_(listener), unknown_topic_timeout_ns_(unknown_topic_timeout.count()) {}
  ~DeliveryTracker();

  DeliveryRecord* open(const Batch& batch, SinkAck ack);
  void add_messages(DeliveryRecord* r, uint32_t n) {
    r->outstanding.fetch_add(n, std::memory_order_relaxed);
  }
  // One message finished: delivered or dead (`dead_err` != NO_ERROR), or given up (`give_up`).
  void settle(MessageRef* ref, rd_kafka_resp_err_t dead_err, bool give_up);
  // Settles a message whose topic `topic` the sink refused before producing it (`why`): dead,
  // with error RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION.
  void settle_refused(MessageRef* ref, std::string topic, std::string why);
  // `n` messages of `r` were delivered (one decrement for a run of reports of one record).
  void settle_delivered(DeliveryRecord* r, uint32_t n) { release(r, n); }
  // The lane has produced every message of `r` (drops the guard).
  void seal(DeliveryRecord* r) { release(r); }

  // What `err` means for `ref` now (`now_ns` monotonic): classify(), with kRetryForAWhile
  // resolved into kRetry or, once the message has failed that way for unknown_topic_timeout,
  // kPermanent.
  Outcome judge(MessageRef& ref, rd_kafka_resp_err_t err, int64_t now_ns) const;
  // A delivery report (dr_msg_cb).
  void on_delivery(const rd_kafka_message_t& m);
  // The same report taken apart (the seam for tests, whose messages are not librdkafka's).
  void on_report(const DeliveryReport& report);
  // A retriable failure of `ref` (also used for produce errors seen by the caller), produced
  // again at `not_before_ns` at the earliest.
  void retry_later(MessageRef* ref, int32_t partition, void* payload, size_t len,
                   rd_kafka_headers_t* headers, int64_t not_before_ns = 0);
  std::deque<OutMessage> take_retries();
  // Puts back retries that could not be produced yet (queue full), ahead of newer ones.
  void put_back(std::deque<OutMessage> retries);
  bool has_retries() const { return retries_pending_.load(std::memory_order_acquire) > 0; }

  // Shutdown deadline (or a fatal producer error): queued retries are given up, and so is every
  // later retriable failure, until resume().
  void abort();
  // A new producer replaced the failed one: retriable failures are retried again.
  void resume() { aborting_.store(false, std::memory_order_release); }
  bool aborting() const { return aborting_.load(std::memory_order_acquire); }
  size_t open_records() const;
  // Fails every record still open (after the producer is gone; nothing can settle them then).
  void fail_all();

 private:
  void release(DeliveryRecord* r, uint32_t n = 1);

  DeliveryListener& listener_;
  const int64_t unknown_topic_timeout_ns_;
  std::atomic<bool> aborting_{false};
  std::atomic<size_t> retries_pending_{0};
  mutable std::mutex mu_;
  std::unordered_map<DeliveryRecord*, std::unique_ptr<DeliveryRecord>> live_;  // guarded by mu_
  std::deque<OutMessage> retries_;                                             // guarded by mu_
};

}  // namespace logagent::plugins::kafka
