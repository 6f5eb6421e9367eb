// A fake producer for DeliveryTracker tests, with no librdkafka client: lanes that open, produce
// and seal records; "brokers" that report queued messages in random order (delivered, retriable,
// permanent); a poll thread that produces retries and meets full queues (puts the rest back);
// an abort thread. It checks that retries are taken in report order per partition and that no
// record completes while one of its messages is still queued.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "plugins/sinks/kafka/delivery_tracker.h"

namespace logagent::plugins::kafka::testing {

inline constexpr int32_t kPartitions = 4;
inline constexpr rd_kafka_resp_err_t kRetriable = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
inline constexpr rd_kafka_resp_err_t kPermanent = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;

// Every answer given to every batch.
class Answers final : public BatchCompletion {
 public:
  void sink_done(Batch* batch, SinkOutcome outcome, std::string_view) override {
    std::lock_guard lock(mu_);
    Answer& a = answers_[batch];
    ++a.count;
    a.outcome = outcome;
  }
  // Batches answered other than exactly once.
  size_t not_answered_once(const std::vector<const Batch*>& batches) const {
    std::lock_guard lock(mu_);
    size_t bad = 0;
    for (const Batch* b : batches) {
      auto it = answers_.find(b);
      if (it == answers_.end() || it->second.count != 1) ++bad;
    }
    return bad + (answers_.size() > batches.size() ? 1 : 0);
  }
  size_t count(SinkOutcome outcome) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [b, a] : answers_) n += a.outcome == outcome ? 1 : 0;
    return n;
  }

 private:
  struct Answer {
    int count = 0;
    SinkOutcome outcome = SinkOutcome::kDelivered;
  };
  mutable std::mutex mu_;
  std::map<const Batch*, Answer> answers_;
};

// A message in the fake producer's queue: it will be reported exactly once.
struct InFlight {
  MessageRef* ref;
  int32_t partition;
  rd_kafka_headers_t* headers;  // owned (a retry's copy), may be null
};

// The producer's queue, from which "brokers" report messages in random order.
class FakeQueue {
 public:
  void produce(const InFlight& m) {
    std::lock_guard lock(mu_);
    queue_.push_back(m);
    ++held_[m.ref->record];
  }
  // A random message, taken off the queue (its record no longer counts it as held).
  std::optional<InFlight> take_any(std::mt19937& rng) {
    std::lock_guard lock(mu_);
    if (queue_.empty()) return std::nullopt;
    const size_t i = std::uniform_int_distribution<size_t>(0, queue_.size() - 1)(rng);
    const InFlight m = queue_[i];
    queue_[i] = queue_.back();
    queue_.pop_back();
    if (--held_[m.ref->record] == 0) held_.erase(m.ref->record);
    return m;
  }
  bool holds(const DeliveryRecord* r) const {
    std::lock_guard lock(mu_);
    return held_.contains(r);
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  // The producer is destroyed: what it held is never reported.
  void drop_all() {
    std::lock_guard lock(mu_);
    for (const InFlight& m : queue_) {
      if (m.headers != nullptr) rd_kafka_headers_destroy(m.headers);
    }
    queue_.clear();
    held_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<InFlight> queue_;
  std::unordered_map<const DeliveryRecord*, int> held_;
};

// Answers completed records as the kafka sink does, and notes a record completed while one of
// its messages is still queued (its report would then touch freed memory).
class Listener final : public DeliveryListener {
 public:
  explicit Listener(const FakeQueue& queue) : queue_(queue) {}
  void on_error(rd_kafka_resp_err_t, bool, const MessageRef&) override {}
  void on_complete(std::unique_ptr<DeliveryRecord> record) override {
    if (queue_.holds(record.get())) premature.fetch_add(1);
    {
      std::lock_guard lock(mu_);
      dead.insert(dead.end(), record->dead.begin(), record->dead.end());
    }
    if (record->failed.load()) {
      record->ack.retry("given up");
    } else if (!record->dead.empty()) {
      record->ack.rejected("dead");
    } else {
      record->ack.delivered();
    }
    completed.fetch_add(1);
  }
  std::atomic<int> premature{0};
  std::atomic<int> completed{0};
  std::vector<DeadMessage> dead;  // of every completed record (read once the threads are done)

 private:
  const FakeQueue& queue_;
  std::mutex mu_;
};

// Lanes, brokers, a poll thread and an abort thread around one tracker.
class Harness {
 public:
  // Each lane writes `batches_per_lane` batches -- and goes on until the abort thread, when
  // there is one, has aborted `min_aborts` times, so that aborts meet busy lanes.
  Harness(int lanes, int batches_per_lane, int min_aborts = 0)
      : batches_(static_cast<size_t>(lanes)), min_aborts_(min_aborts) {
    tracker_ = std::make_unique<DeliveryTracker>(listener_);
    for (int l = 0; l < lanes; ++l) {
      lanes_.emplace_back([this, l, batches_per_lane] { lane(l, batches_per_lane); });
    }
  }
  ~Harness() {
    stop_lanes();
    stop_producer();
  }

  void start_brokers(int n) {
    for (int i = 0; i < n; ++i) brokers_.emplace_back([this, i] { broker(i); });
    poll_ = std::thread([this] { poll(); });
  }
  void start_aborts() {
    aborter_ = std::thread([this] { aborts(); });
  }
  void stop_lanes() {
    for (auto& t : lanes_) t.join();
    lanes_.clear();
  }
  void stop_aborts() {
    stop_aborts_.store(true);
    if (aborter_.joinable()) aborter_.join();
    tracker_->resume();
  }
  void stop_producer() {
    stop_producer_.store(true);
    for (auto& t : brokers_) t.join();
    brokers_.clear();
    if (poll_.joinable()) poll_.join();
  }
  // Waits until nothing is open (a condition, not a timing; the cap only ends a hung test).
  bool drained() const {
    const auto cap = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (tracker_->open_records() > 0 || tracker_->has_retries() || queue_.size() > 0) {
      if (std::chrono::steady_clock::now() > cap) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  void wait_completed(int n) const {
    while (listener_.completed.load() < n)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void destroy_tracker() {
    queue_.drop_all();  // the producer goes first, as in the kafka sink
    tracker_.reset();
  }

  std::vector<const Batch*> all_batches() const {
    std::vector<const Batch*> out;
    for (const auto& lane : batches_) {
      for (const Batch& b : lane) out.push_back(&b);
    }
    return out;
  }
  DeliveryTracker& tracker() { return *tracker_; }
  const Answers& answers() const { return answers_; }
  const Listener& listener() const { return listener_; }
  int order_violations() const { return order_violations_.load(); }
  int retries_taken() const { return retries_taken_.load(); }

 private:
  void lane(int l, int batches) {
    std::mt19937 rng(static_cast<unsigned>(100 + l));
    std::deque<Batch>& mine = batches_[static_cast<size_t>(l)];
    for (int i = 0; i < batches || aborts_done_.load() < min_aborts_; ++i) {
      Batch& batch = mine.emplace_back();
      const auto n = static_cast<uint32_t>(1 + rng() % 8);
      for (uint32_t e = 0; e < n; ++e) batch.events.push_back(Event{"line", e, 0, 0});
      DeliveryRecord* r = tracker_->open(batch, SinkAck(&answers_, &batch));
      r->refs.reserve(n);
      for (uint32_t e = 0; e < n; ++e) r->refs.push_back(MessageRef{r, e});
      tracker_->add_messages(r, n);
      for (MessageRef& ref : r->refs) {
        const auto roll = static_cast<unsigned>(rng() % 100);
        if (tracker_->aborting() && roll < 50) {
          tracker_->settle(&ref, RD_KAFKA_RESP_ERR_NO_ERROR, true);  // gave up waiting for space
        } else if (roll < 2) {
          tracker_->settle(&ref, kPermanent, false);  // refused by the produce call
        } else {
          queue_.produce({&ref, static_cast<int32_t>(rng() % kPartitions), nullptr});
        }
      }
      tracker_->seal(r);
    }
  }

  void broker(int i) {
    std::mt19937 rng(static_cast<unsigned>(200 + i));
    while (!stop_producer_.load()) {
      std::optional<InFlight> m = queue_.take_any(rng);
      if (!m) {
        std::this_thread::yield();
        continue;
      }
      const auto roll = static_cast<unsigned>(rng() % 100);
      DeliveryReport report{m->ref,    RD_KAFKA_RESP_ERR_NO_ERROR, m->partition, nullptr, 0,
                            m->headers};
      if (roll < 20) {
        report.err = kRetriable;
        rd_kafka_headers_t* h = nullptr;
        if (report.headers == nullptr && roll < 5) {
          h = rd_kafka_headers_new(1);
          rd_kafka_header_add(h, "k", -1, "v", -1);
          report.headers = h;
        }
        // Numbered in report order: the poll thread must take them in that order per partition.
        std::lock_guard lock(report_mu_);
        seq_[m->ref] = ++next_seq_;
        tracker_->on_report(report);
        if (h != nullptr) rd_kafka_headers_destroy(h);
      } else {
        if (roll < 25) report.err = kPermanent;
        tracker_->on_report(report);
      }
      if (m->headers != nullptr) rd_kafka_headers_destroy(m->headers);  // librdkafka's own
    }
  }

  void poll() {
    std::mt19937 rng(7);
    std::array<uint64_t, kPartitions> last{};
    while (!stop_producer_.load()) {
      if (!tracker_->has_retries()) {
        std::this_thread::yield();
        continue;
      }
      std::deque<OutMessage> retries = tracker_->take_retries();
      // A full queue after a random number of them: the rest is put back.
      size_t produce = std::uniform_int_distribution<size_t>(0, retries.size())(rng);
      while (produce-- > 0 && !retries.empty()) {
        const OutMessage m = retries.front();
        retries.pop_front();
        uint64_t seq = 0;
        {
          std::lock_guard lock(report_mu_);
          seq = seq_[m.ref];
          seq_.erase(m.ref);
        }
        auto& prev = last[static_cast<size_t>(m.partition)];
        if (seq <= prev) order_violations_.fetch_add(1);
        prev = seq;
        retries_taken_.fetch_add(1);
        queue_.produce({m.ref, m.partition, m.headers});
      }
      tracker_->put_back(std::move(retries));
    }
  }

  void aborts() {
    std::mt19937 rng(11);
    while (!stop_aborts_.load()) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 500));
      tracker_->abort();
      aborts_done_.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 200));
      tracker_->resume();
    }
  }

  FakeQueue queue_;
  Listener listener_{queue_};
  Answers answers_;
  std::vector<std::deque<Batch>> batches_;  // per lane; deque: addresses stay put
  std::unique_ptr<DeliveryTracker> tracker_;
  std::mutex report_mu_;
  std::unordered_map<const MessageRef*, uint64_t> seq_;  // guarded by report_mu_
  uint64_t next_seq_ = 0;                                // guarded by report_mu_
  std::atomic<int> order_violations_{0};
  std::atomic<int> retries_taken_{0};
  std::atomic<bool> stop_producer_{false};
  std::atomic<bool> stop_aborts_{false};
  const int min_aborts_;
  std::atomic<int> aborts_done_{0};
  std::vector<std::thread> lanes_;
  std::vector<std::thread> brokers_;
  std::thread poll_;
  std::thread aborter_;
};

}  // namespace logagent::plugins::kafka::testing
