// KafkaSink: delivers batches to Kafka through librdkafka, at least once.
//
// write() (lane threads) renders the batch's topic and key (kafka_sink_route.cc), builds its
// messages (message_builder.h) and produces them without copying the payload
// (kafka_sink_produce.cc); a batch is acknowledged when every one of its messages is persisted
// (DeliveryTracker). Each lane blocks while librdkafka's queue is full
// (queue_bytes / queue_events): that backpressure stops the lane's stages and then the tailers,
// so memory stays inside the buffer pool plus librdkafka's bounded queue.
//
// A poll thread owned by the sink serves librdkafka's callbacks: delivery reports (settling
// messages, queueing retriable failures), statistics (broker up, RTT), errors and logs. It
// produces retriable failures again -- without limit, until the pipeline's abort token fires;
// then it purges librdkafka's queues and fails what is left, so those batches are not
// checkpointed and are read again after a restart. A fatal producer error (librdkafka's
// RD_KAFKA_RESP_ERR__FATAL: the idempotent producer cannot go on) is answered the same way for
// the open batches -- given up, answered retry, so the pipeline writes them again -- and then a
// new producer replaces the old one (counted in logagent_kafka_producer_recreated_total); what
// the old one had delivered of those batches is sent again (at least once). Permanent failures go
// to the dead-letter file and are acknowledged (see dead_letter_file.h), or reject their batch
// with `dead_letter: false`. A topic or partition the cluster does not know becomes permanent only
// after unknown_topic_timeout of retries (DeliveryTracker::judge), so a topic deleted and created
// again loses nothing. A TLS or SASL failure (a refused certificate, a wrong password) is
// logged once, as an error naming its cause, and /ready says it until a broker is connected;
// librdkafka keeps trying meanwhile (the cause may be fixed on the broker's side), and its own
// repeated log lines about it are demoted to debug. A topic that cannot be made (an invalid name,
// more than max_topics) rejects the batch, or, for a topic rendered per event, counts as a
// permanent failure of the event's message.
//
// Ordering: by default every message of a file goes to one partition (a hash of its path, or the
// key's murmur2 when a key is set); with idempotence librdkafka keeps their order through its
// own retries. Retries produced by the sink (after message_timeout, or a purge) are appended
// after what is already queued for that partition; a lane waits while any are pending before it
// writes a batch (not between the messages of a batch it is producing), and a message that timed
// out may still land after newer messages that had been queued before it expired. With
// message_timeout 0 (the default) messages never expire and this cannot happen.
//
// Memory beyond the buffer pool: librdkafka holds at most queue_bytes of payload (record mode
// raw: views into pool chunks, so no copy; json: the encoded copy; batch mode: the compressed
// copy) plus ~200 bytes of bookkeeping per queued message (queue_events bounds it: 100k messages
// ~ 20 MB), plus one compression buffer of up to batch_bytes per partition being sent.
//
// delivery: exactly_once (begin_exactly_once(), kafka_sink_transaction.cc): the producer becomes
// transactional and every record is produced inside a Kafka transaction; a batch is acknowledged
// when delivered into the open transaction. Every transaction_interval, when transaction_batches
// batches are in (writes wait meanwhile), and at flush(), the poll
// thread holds new writes back, waits until every written batch is answered, produces the
// pipeline's checkpoint text to offsets_topic and commits: the records and the checkpoint that
// covers them become visible to read_committed consumers together. A failed commit aborts the
// transaction and a fenced producer (another agent with the same transactional.id) stops: the
// CheckpointSource is told (failed()) and write() answers retry from then on.
//
// Threads: write() from any lane thread; flush(), begin_exactly_once() and the destructor from
// the pipeline thread.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/plugin.h"
#include "agent/codec/event_encoder.h"
#include "plugins/sinks/kafka/dead_letter_file.h"
#include "plugins/sinks/kafka/delivery_tracker.h"
#include "plugins/sinks/kafka/kafka_metrics.h"
#include "plugins/sinks/kafka/kafka_options.h"
#include "plugins/sinks/kafka/rdkafka_handle.h"
#include "plugins/sinks/kafka/refused_lines.h"
#include "plugins/sinks/kafka/topic_name.h"

namespace logagent::plugins::kafka {

class KafkaSink final : public Sink, public TransactionalSink, private DeliveryListener {
 public:
  static constexpr std::string_view kName = "kafka";
  static constexpr bool kExactlyOnce = true;  // transactional() below
  using Options = KafkaOptions;
  static Result<std::unique_ptr<Sink>> create(const Options& o, const PluginContext& ctx);

  ~KafkaSink() override;
  void write(const Batch& batch, SinkAck ack) override;
  // json records and batch mode are encoded (and compressed) by the lane's encode step.
  std::optional<EncodeSpec> encoding() const override;
  Status flush(std::chrono::steady_clock::time_point deadline) override;
  std::string not_ready() const override;
  TransactionalSink* transactional() override { return this; }
  Result<std::string> begin_exactly_once(CheckpointSource& source) override;

  // Tests only: the current producer (to inject a fatal error with rd_kafka_test_fatal_error).
  rd_kafka_t* producer_for_testing() const { return producer_->get(); }

  // The dead-letter file's path for `ctx` (sink label from the metrics scope).
  static std::string dead_letter_path(const PluginContext& ctx);
  // delivery: exactly_once: where the lines Kafka refused inside a transaction are remembered
  // (refused_lines.h).
  static std::string refused_path(const PluginContext& ctx);

 private:
  struct Header {
    std::string name;
    Template value;
  };

  KafkaSink(const Options& o, const PluginContext& ctx);
  Status start(const Options& o);
  // A producer from settings_ with the sink's callbacks.
  Result<std::unique_ptr<RdKafkaProducer>> make_producer();
  // Poll thread: a fatal error (idempotence broken, ...) leaves the producer unusable for good.
  // Every open batch is given up (answered retry: the pipeline writes it again), writes answer
  // retry meanwhile, and once nothing refers to the old producer a new one replaces it.
  void begin_recovery();
  bool try_finish_recovery();

  // delivery: exactly_once (kafka_sink_transaction.cc). write() enters the gate for the whole of
  // its produce (false: `ack` was answered); the poll thread runs the commit cycle.
  bool enter_transaction(SinkAck& ack);
  void leave_transaction();
  void serve_transactions();
  void commit_transaction();
  // The sink stops for good: the open transaction is aborted (unless the producer is fenced or
  // failed: then it cannot be), open batches are answered retry, and the source is told.
  void give_up_transactions(const std::string& why, bool can_abort);
  // Why the producer failed for good (fenced, or another fatal error).
  std::string fatal_why() const;
  // Poll thread (a delivery report): Kafka refused `ref` for good inside the open transaction,
  // which is doomed. Its lines are remembered (RefusedLines), the gate closes (writes answer
  // retry), and the next loop aborts the transaction: the pipeline restarts and dead-letters
  // them, unproduced, when it reads them again.
  void refused_in_transaction(const MessageRef& ref, rd_kafka_resp_err_t err);
  // Lane threads: the error a line of `ref` was refused with in an aborted transaction
  // (NO_ERROR: none was); such a message is dead-lettered instead of produced.
  rd_kafka_resp_err_t refused_before(const MessageRef& ref);
  Status flush_transactions(std::chrono::steady_clock::time_point deadline);

  // Routing (kafka_sink_route.cc, lane threads): templates rendered into topics, keys, headers.
  TemplateVars vars(const Batch& batch, size_t event) const;
  // Null (and `why`, when given) when the topic is refused (invalid name, more than `limit`
  // topics); the first refusal for each cause is logged with `consequence` (once per cause, not
  // per name).
  rd_kafka_topic_t* topic_named(const std::string& name, std::string_view consequence,
                                std::string* why, size_t limit);
  rd_kafka_topic_t* topic_for(const Batch& batch, std::string* why = nullptr);
  // Renders per-event topics and keys (templates over fields) into the messages' refs; messages
  // whose topic is refused settle as dead and are removed. False when it set the keys itself.
  bool route_per_event(DeliveryRecord* r, std::vector<rd_kafka_message_t>& msgs);
  // Headers for event `event` (field templates) of a message holding `events` events.
  rd_kafka_headers_t* make_headers(const Batch& batch, size_t event, size_t events) const;

  // Producing (kafka_sink_produce.cc). Lane threads wait for queue space; the poll thread,
  // which frees that space, never waits.
  enum class Wait { kForSpace, kNo };
  enum class Sent { kQueued, kQueueFull, kRefused, kGivenUp };
  // The one backpressure loop. attempt(i) produces messages i.. and returns the index of the
  // first one refused for a full queue (`count` when none was). While the queue is full it waits
  // for space (Wait::kForSpace) and tries again, or returns that index at once (Wait::kNo: the
  // caller keeps the rest); when the sink gives up meanwhile (abort, a fatal producer error),
  // give_up(j) is called for each message left. Returns the index of the first message not
  // produced or given up.
  template <class Attempt, class GiveUp>
  size_t produce_with_backpressure(size_t count, Wait wait, Attempt&& attempt, GiveUp&& give_up);
  // One message (topic and key from its ref; librdkafka owns `m.headers` once queued). Refused:
  // produce_failed. Given up: settled as given up. kQueueFull only with Wait::kNo (`m` untouched).
  Sent produce_one(const OutMessage& m, Wait wait);
  // A run of messages for one topic, without headers (rd_kafka_produce_batch). `same_key`: they
  // share their key too, so the partitioner puts them all in one partition: the first message
  // is partitioned by librdkafka, the rest are produced to the partition it chose in one call
  // (appended to that partition's queue at once, instead of one partitioner call, one
  // partition-lock round and possibly one broker-thread wake-up per message).
  void produce_run(rd_kafka_topic_t* rkt, rd_kafka_message_t* msgs, size_t count, bool same_key);
  void write_records(DeliveryRecord* r);
  // exactly_once: settles as dead, and removes, the messages refused_before() names.
  void drop_refused(std::vector<rd_kafka_message_t>& msgs);
  void write_batch(DeliveryRecord* r);
  // A produce call refused `m` for a reason other than a full queue: a permanent error settles
  // it as dead, any other is queued for the poll thread to produce again.
  void produce_failed(const OutMessage& m, rd_kafka_resp_err_t err);
  // Poll thread: produces queued retries, in order, until the queue is full.
  void produce_retries();
  // Waits for librdkafka's queue to drain a little; false when the sink gives up (abort).
  bool wait_for_space();
  void wait_for_retries();

  // Poll thread (kafka_sink_poll.cc).
  void poll_loop(std::stop_token stop);
  void handle_stats(std::string_view json);
  void handle_error(rd_kafka_resp_err_t err, const char* reason);

  // DeliveryListener.
  void on_error(rd_kafka_resp_err_t err, bool permanent, const MessageRef& ref) override;
  void on_complete(std::unique_ptr<DeliveryRecord> record) override;
  // exactly_once: the open transaction is doomed or the sink stopped (`why`): what it holds is
  // written again after the restart, so its dead messages are not dead-lettered now.
  bool doomed_transaction(std::string& why) const;
  // Writes the record's dead messages to the dead-letter file; false (and `why`) when it cannot.
  bool dead_letter(const DeliveryRecord& record, std::string& why);

  static void dr_cb(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  // Settles the run of delivered messages dr_cb gathered and counts them (after each poll).
  void settle_delivered();
  static int stats_cb(rd_kafka_t* rk, char* json, size_t len, void* opaque);
  static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
  // Broker threads, TLS only: keeps OpenSSL's verdict, and notes the precise cause of a refused
  // certificate for the _SSL error that follows (auth_failure.h).
  static int cert_verify_cb(rd_kafka_t* rk, const char* broker_name, int32_t broker_id,
                            int* x509_error, int depth, const char* buf, size_t size, char* errstr,
                            size_t errstr_size, void* opaque);
  static int32_t partition_cb(const rd_kafka_topic_t* rkt, const void* key, size_t keylen,
                              int32_t partition_cnt, void* rkt_opaque, void* msg_opaque);
  // The last partition partition_cb chose on this thread, and for which message (its opaque).
  struct Chosen {
    const void* msg_opaque = nullptr;
    int32_t partition = RD_KAFKA_PARTITION_UA;
  };
  static thread_local Chosen chosen_;

  const std::string name_;  // "kafka sink <pipeline>/<label>" for logs
  const std::string pipeline_;
  const std::string label_;  // the sink's label in the pipeline
  const std::string host_;
  const EventFormat format_;          // raw or json (json also for the OTLP formats: unused)
  const KafkaFormat payload_format_;  // the `format` option
  const bool batch_mode_;
  const bool zstd_;
  const EncodeSpec spec_;  // batch mode's payload (zstd level -1 means zstd's default, 3)
  const bool dead_letter_enabled_;
  const size_t max_topics_;
  bool headers_use_fields_ = false;
  Template topic_;
  Template key_;
  std::vector<Header> headers_;
  std::stop_token abort_;
  KafkaMetrics metrics_;
  DeadLetterFile dlq_;
  const std::chrono::milliseconds unknown_topic_timeout_;
  DeliveryTracker tracker_;
  std::unique_ptr<RdKafkaProducer> producer_;  // replaced by the poll thread after a fatal error
  std::vector<Setting> settings_;              // what producers are made from
  bool own_partitioner_ = true;                // no `partitioner` property: partition_cb
  std::atomic<bool> fatal_{false};             // a fatal error was reported (poll thread)
  std::atomic<bool> recovering_{false};        // giving up on the old producer
  std::atomic<int> writers_{0};                // write() calls using producer_ now
  std::string fatal_reason_;                   // poll thread only
  // Successful delivery reports in a row for one record, settled with one decrement and counted
  // once: touched only by the thread serving delivery reports (rd_kafka_poll's caller).
  struct DeliveredRun {
    DeliveryRecord* record = nullptr;
    uint32_t messages = 0;
    uint64_t total = 0;  // messages of any record since the last settle_delivered()
    uint64_t bytes = 0;
  };
  DeliveredRun delivered_;
  std::jthread poll_thread_;

  std::mutex space_mu_;
  std::condition_variable space_cv_;  // notified after each poll that served events

  mutable std::mutex log_mu_;
  std::set<std::string> logged_;        // causes already logged (guarded by log_mu_)
  std::string auth_error_;              // the last TLS/SASL failure, for /ready (log_mu_)
  std::string cert_problem_;            // why the last certificate was refused (log_mu_)
  std::string txn_failed_;              // exactly_once: why the sink stopped, for /ready (log_mu_)
  bool tls_ = false;                    // security.protocol is ssl or sasl_ssl
  bool scram_ = false;                  // sasl.mechanisms is SCRAM-SHA-256 or -512
  std::atomic<bool> broker_up_{false};  // written by the poll thread

  // delivery: exactly_once: made by begin_exactly_once() while the poll thread is stopped.
  struct Transactions {
    CheckpointSource* source = nullptr;
    std::string id;   // transactional.id
    std::string key;  // the checkpoint record's key: <host>/<pipeline>/<sink label>
    // The gate (mu): write() enters it while it is open; the poll thread closes it to commit.
    std::mutex mu;
    std::condition_variable cv;
    bool closed = false;
    int writers = 0;            // write() calls inside
    uint32_t batches = 0;       // batches entered since the last commit
    bool written = false;       // a batch entered since the last commit
    std::string failed;         // why the sink stopped: writes answer retry
    std::string doomed;         // Kafka refused a message of the open transaction: it must abort
    uint64_t flush_asked = 0;   // flush() calls that asked for a commit
    uint64_t flush_served = 0;  // ... of which a finished commit cycle covered so many
    uint64_t serving = 0;       // poll thread: flush_asked when the gate closed
    std::optional<std::string> committing;  // poll thread: the checkpoint of a commit under way
    std::chrono::steady_clock::time_point next_commit, closed_since;  // poll thread
  };
  const std::chrono::milliseconds txn_interval_;
  const uint32_t txn_batches_;  // commit when so many batches are in (0: no such limit)
  const std::string offsets_topic_;
  std::unique_ptr<Transactions> txn_;
  RefusedLines refused_;  // exactly_once only
  // The opaque of the checkpoint record (dr_cb leaves its report to the commit).
  static inline char checkpoint_tag_ = 0;
};

}  // namespace logagent::plugins::kafka
