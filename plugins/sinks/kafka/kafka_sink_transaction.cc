// KafkaSink, delivery: exactly_once: begin_exactly_once() (a transactional producer, the
// committed checkpoint read back), the gate write() enters, and the commit cycle run by the poll
// thread (so that librdkafka's callbacks, served by commit and abort calls too, stay on it).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "plugins/sinks/kafka/kafka_sink.h"
#include "plugins/sinks/kafka/offsets_topic.h"

namespace logagent::plugins::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// How long begin_exactly_once() waits for the cluster at each step.
constexpr auto kSetupTimeout = std::chrono::seconds(30);
// How long a commit waits for the batches of its transaction to be answered before it gives up
// (at least; ten intervals when longer).
constexpr auto kSettleTimeout = std::chrono::seconds(60);

// Each commit call blocks the poll thread at most this long; a commit not done by then (a
// broker away) goes on in the background and is called again by the next loop. librdkafka
// recommends -1 (the remaining transaction time): older versions did not resume a timed-out
// commit, and an abort after one could reach an invalid state (librdkafka PRs #3227, #4016);
// rdkafka.h of 2.0.2 documents the commit as resumable after a retriable timeout. -1 would block
// this thread up to transaction.timeout.ms in a broker outage: no shutdown deadline (abort_), no
// statistics for /ready, no retries served meanwhile. The outage case of
// tests/e2e/test_kafka_exactly_once.py (broker stopped mid-transaction) passes with the slices.
constexpr int kCommitSliceMs = 200;

Clock::duration settle_limit(std::chrono::milliseconds interval) {
  return std::max<Clock::duration>(kSettleTimeout, 10 * interval);
}

std::string take_error(rd_kafka_error_t* e) {
  std::string why = fmt::format("{} ({})", rd_kafka_error_string(e), rd_kafka_error_name(e));
  rd_kafka_error_destroy(e);
  return why;
}

}  // namespace

Result<std::string> KafkaSink::begin_exactly_once(CheckpointSource& source) {
  if (txn_) return Status::error(name_ + ": begin_exactly_once called twice");
  auto t = std::make_unique<Transactions>();
  t->source = &source;
  t->id = "logagent-" + host_ + "-" + pipeline_ + "-" + label_;
  t->key = host_ + "/" + pipeline_ + "/" + label_;
  // No write() has happened yet: the poll thread stops while the producer is replaced.
  poll_thread_.request_stop();
  if (poll_thread_.joinable()) poll_thread_.join();
  struct Restart {
    KafkaSink* sink;
    ~Restart() {
      sink->poll_thread_ = std::jthread([s = sink](std::stop_token st) { s->poll_loop(st); });
    }
  } restart{this};
  settings_.emplace_back("transactional.id", t->id);
  auto fresh = make_producer();
  if (!fresh) return Status::error(name_ + ": transactional producer: " + fresh.message());
  producer_ = std::move(fresh.value());
  rd_kafka_t* rk = producer_->get();
  const int setup_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(kSetupTimeout).count());
  if (rd_kafka_error_t* e = rd_kafka_init_transactions(rk, setup_ms)) {
    return Status::error(name_ + ": cannot initialise transactions: " + take_error(e));
  }
  if (Status st = create_offsets_topic(rk, offsets_topic_, kSetupTimeout); !st) {
    spdlog::warn("{}: {}; the broker may create it on the first commit (not compacted)", name_,
                 st.message());
  }
  if (Status st = refused_.load(); !st) return Status::error(name_ + ": " + st.message());
  if (refused_.size() > 0) {
    spdlog::warn(
        "{}: {} line(s) Kafka refused in an aborted transaction ({}): dead-lettered, not "
        "produced, when they are read again",
        name_, refused_.size(), refused_.path());
  }
  auto text = read_committed_value(settings_, offsets_topic_, t->key, kSetupTimeout);
  if (!text)
    return Status::error(name_ + ": cannot read the committed checkpoint: " + text.message());
  if (rd_kafka_error_t* e = rd_kafka_begin_transaction(rk)) {
    return Status::error(name_ + ": cannot begin a transaction: " + take_error(e));
  }
  t->next_commit = Clock::now() + txn_interval_;
  spdlog::info("{}: exactly once: transactional.id {}, {} checkpoint in {} (key {})", name_, t->id,
               text->empty() ? "no" : "a committed", offsets_topic_, t->key);
  txn_ = std::move(t);  // before the poll thread starts again (Restart)
  return std::move(text.value());
}

bool KafkaSink::enter_transaction(SinkAck& ack) {
  Transactions& t = *txn_;
  std::unique_lock lock(t.mu);
  // Closed for a commit, or full (transaction_batches): wait for the commit.
  auto full = [&] { return t.closed || (txn_batches_ > 0 && t.batches >= txn_batches_); };
  while (full() && t.failed.empty() && t.doomed.empty() && !abort_.stop_requested()) {
    t.cv.wait_for(lock, std::chrono::milliseconds(100));
  }
  if (t.failed.empty() && t.doomed.empty() && !full()) {
    ++t.writers;
    ++t.batches;
    t.written = true;
    return true;
  }
  const std::string why = !t.failed.empty()   ? t.failed
                          : !t.doomed.empty() ? t.doomed
                                              : std::string("shutting down");
  lock.unlock();
  ack.retry(why);
  return false;
}

void KafkaSink::leave_transaction() {
  std::lock_guard lock(txn_->mu);
  --txn_->writers;
}

void KafkaSink::serve_transactions() {
  Transactions& t = *txn_;
  const auto now = Clock::now();
  std::string doomed;
  {
    std::lock_guard lock(t.mu);
    if (!t.failed.empty()) return;
    doomed = t.doomed;
  }
  if (!doomed.empty()) {
    give_up_transactions(doomed, !fatal_.load());
    return;
  }
  {
    std::lock_guard lock(t.mu);
    const bool full = txn_batches_ > 0 && t.batches >= txn_batches_;
    if (!t.closed && !fatal_.load() && !full && now < t.next_commit &&
        t.flush_served == t.flush_asked) {
      return;
    }
    if (!t.closed) {
      t.closed = true;
      t.closed_since = now;
      t.serving = t.flush_asked;
    }
  }
  if (fatal_.load()) {
    give_up_transactions(fatal_why(), false);
    return;
  }
  if (t.committing) {  // a commit under way (the gate is closed, no writer inside)
    commit_transaction();
    return;
  }
  bool writing = false;
  {
    std::lock_guard lock(t.mu);
    writing = t.writers > 0;
    if (writing || tracker_.open_records() > 0) {
      if (now - t.closed_since < settle_limit(txn_interval_) && !abort_.stop_requested()) return;
    } else if (!t.written) {
      t.closed = false;  // nothing written since the last commit: nothing to commit
      t.flush_served = t.serving;
      t.next_commit = now + txn_interval_;
      t.cv.notify_all();
      return;
    }
  }
  if (tracker_.aborting()) {
    // Batches were given up (the shutdown deadline): some of their records may be in the
    // transaction while their batches are answered retry. Committing would deliver them twice.
    give_up_transactions("shutdown deadline: batches of the open transaction given up", true);
    return;
  }
  if (writing || tracker_.open_records() > 0) {
    give_up_transactions(abort_.stop_requested()
                             ? "shutdown deadline: batches of the open transaction unanswered"
                             : "batches of the open transaction not delivered in time",
                         true);
    return;
  }
  commit_transaction();
}

void KafkaSink::commit_transaction() {
  Transactions& t = *txn_;
  rd_kafka_t* rk = producer_->get();
  if (!t.committing) {
    std::string text = t.source->checkpoint_text();
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(offsets_topic_.c_str()), RD_KAFKA_V_KEY(t.key.data(), t.key.size()),
        RD_KAFKA_V_VALUE(text.data(), text.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(&checkpoint_tag_), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      give_up_transactions(fmt::format("cannot produce the checkpoint to {}: {}", offsets_topic_,
                                       rd_kafka_err2str(err)),
                           true);
      return;
    }
    t.committing = std::move(text);
  }
  rd_kafka_error_t* e = rd_kafka_commit_transaction(rk, kCommitSliceMs);
  settle_delivered();  // reports the commit's flush served on this thread
  if (e != nullptr) {
    if (rd_kafka_error_is_fatal(e)) {
      rd_kafka_error_destroy(e);
      give_up_transactions(fatal_why(), false);
      return;
    }
    if (rd_kafka_error_is_retriable(e) && !abort_.stop_requested() &&
        Clock::now() - t.closed_since < settle_limit(txn_interval_)) {
      std::lock_guard lock(log_mu_);
      if (logged_.insert("txn:commit-waits").second) {
        spdlog::warn("{}: the commit waits for the cluster ({}); writes wait meanwhile", name_,
                     rd_kafka_error_string(e));
      }
      rd_kafka_error_destroy(e);
      return;  // goes on in the background; called again by the next loop
    }
    give_up_transactions("commit failed: " + take_error(e), true);
    return;
  }
  const std::string text = std::move(*t.committing);
  t.committing.reset();
  metrics_.transactions_committed.inc();
  t.source->committed(text);
  if (Status st = refused_.committed(); !st) spdlog::error("{}: {}", name_, st.message());
  if (rd_kafka_error_t* b = rd_kafka_begin_transaction(rk)) {
    give_up_transactions("cannot begin the next transaction: " + take_error(b), false);
    return;
  }
  std::lock_guard lock(t.mu);
  t.closed = false;
  t.written = false;
  t.batches = 0;
  t.flush_served = t.serving;
  t.next_commit = Clock::now() + txn_interval_;
  t.cv.notify_all();
}

std::string KafkaSink::fatal_why() const {
  char buf[512] = {0};
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(producer_->get(), buf, sizeof(buf));
  if (err == RD_KAFKA_RESP_ERR__FENCED || err == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
      err == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH) {
    return fmt::format(
        "fenced: another agent with the same transactional.id ({}) took over, or the broker "
        "aborted a transaction older than transaction.timeout.ms; this one writes no more ({})",
        txn_->id, buf);
  }
  return fmt::format("fatal producer error: {} ({})", buf, rd_kafka_err2name(err));
}

void KafkaSink::give_up_transactions(const std::string& why, bool can_abort) {
  Transactions& t = *txn_;
  spdlog::error(
      "{}: {}; what was written since the last commit is not delivered: the pipeline "
      "starts again from the committed checkpoint",
      name_, why);
  tracker_.abort();  // open batches are answered retry, purged messages not produced again
  rd_kafka_t* rk = producer_->get();
  rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  if (can_abort) {
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(kSetupTimeout).count());
    if (rd_kafka_error_t* e = rd_kafka_abort_transaction(rk, ms)) {
      spdlog::error("{}: cannot abort the transaction: {}", name_, take_error(e));
    }
    settle_delivered();
  }
  metrics_.transactions_aborted.inc();
  {
    std::lock_guard lock(log_mu_);
    txn_failed_ = why;
  }
  {
    std::lock_guard lock(t.mu);
    t.failed = why;
    t.closed = false;
    t.flush_served = t.flush_asked;
    t.cv.notify_all();
  }
  space_cv_.notify_all();  // lanes waiting for queue space give up too
  t.source->failed(why);
}

void KafkaSink::refused_in_transaction(const MessageRef& ref, rd_kafka_resp_err_t err) {
  const Batch& batch = *ref.record->batch;
  auto remember = [&](const Event& e) {
    if (Status st = refused_.add(e, err); !st) spdlog::error("{}: {}", name_, st.message());
  };
  if (ref.event != MessageRef::kWholeBatch) {
    remember(batch.events[ref.event]);
  } else {
    for (const Event& e : batch.events) {
      if ((e.flags & kEventDropped) == 0) remember(e);
    }
  }
  Transactions& t = *txn_;
  std::lock_guard lock(t.mu);
  if (!t.doomed.empty()) return;
  t.doomed = fmt::format(
      "Kafka refused a message for good inside the transaction ({}: {}); its line is "
      "dead-lettered, not produced, when the pipeline reads it again",
      rd_kafka_err2name(err), rd_kafka_err2str(err));
  t.cv.notify_all();
}

rd_kafka_resp_err_t KafkaSink::refused_before(const MessageRef& ref) {
  if (refused_.size() == 0) return RD_KAFKA_RESP_ERR_NO_ERROR;
  const Batch& batch = *ref.record->batch;
  if (ref.event != MessageRef::kWholeBatch) return refused_.find(batch.events[ref.event]);
  // Batch mode: the message holds every live event; one refused line dead-letters it whole, as
  // the broker's refusal of the message did.
  rd_kafka_resp_err_t first = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (const Event& e : batch.events) {
    if ((e.flags & kEventDropped) != 0) continue;
    const rd_kafka_resp_err_t err = refused_.find(e);
    if (first == RD_KAFKA_RESP_ERR_NO_ERROR) first = err;
  }
  return first;
}

Status KafkaSink::flush_transactions(Clock::time_point deadline) {
  Transactions& t = *txn_;
  std::unique_lock lock(t.mu);
  const uint64_t ticket = ++t.flush_asked;
  while (t.flush_served < ticket && t.failed.empty() && Clock::now() < deadline) {
    t.cv.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(50)));
  }
  if (!t.failed.empty()) return Status::error(name_ + ": " + t.failed);
  if (t.flush_served < ticket) {
    return Status::error(name_ +
                         ": the last transaction was not committed by the shutdown "
                         "deadline");
  }
  return Status::ok();
}

}  // namespace logagent::plugins::kafka
