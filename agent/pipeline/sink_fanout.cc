#include "agent/pipeline/sink_fanout.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace logagent {

// A batch's way through the sinks (Batch's private counters, befriended): every sink answers
// once; the last answer finishes the batch, failed if any sink failed it.
class SinkFanout {
 public:
  static void start(Batch& b, size_t sinks) {
    b.failed_.store(false, std::memory_order_relaxed);
    b.pending_sinks_.store(static_cast<uint32_t>(sinks), std::memory_order_relaxed);
  }
  static void fail(Batch& b) { b.failed_.store(true, std::memory_order_relaxed); }
  // True for the last sink to answer. acq_rel: that sink sees every other sink's fail().
  static bool settle(Batch& b) {
    return b.pending_sinks_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }
  static bool failed(const Batch& b) { return b.failed_.load(std::memory_order_relaxed); }
};

// One sink and the completion it hands out with every batch: it turns the sink's outcome into
// what the set does (settle, write again later, stop the pipeline).
class SinkSet::Slot final : public BatchCompletion {
 public:
  Slot(SinkSet* owner, std::unique_ptr<Sink> sink, std::string name, const MetricsScope& scope)
      : label(std::move(name)),
        owner_(owner),
        ok_(scope.counter(kSinkEvents, {{"result", "ok"}})),
        error_(scope.counter(kSinkEvents, {{"result", "error"}})),
        bytes_(scope.counter(kSinkBytes)),
        retries_(scope.counter(kSinkRetries)),
        rejected_(scope.counter(kSinkBatchesRejected)),
        sink_(std::move(sink)) {}
  // The sink goes first: what it answers from its destructor lands in a live slot.
  ~Slot() override { sink_.reset(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  Sink& sink() { return *sink_; }
  const std::string label;
  // Batches of this sink waiting to be written again (or being written again). While it is not
  // zero the lanes hold this sink's later batches, so a retried batch is never overtaken.
  std::atomic<uint32_t> retrying{0};
  // Retry answers since the last delivered batch: the backoff grows with it.
  std::atomic<uint32_t> failures{0};
  Counter& retries() { return retries_; }

  // Why the sink is failing now, for /ready (empty when it delivers).
  std::string failing() const {
    std::lock_guard lock(mu_);
    return failing_;
  }
  void set_failing(std::string_view why) {
    std::lock_guard lock(mu_);
    failing_.assign(why);
  }

  void sink_done(Batch* batch, SinkOutcome outcome, std::string_view why) override {
    switch (outcome) {
      case SinkOutcome::kDelivered:
        ok_.add(static_cast<double>(batch->live_events()));
        bytes_.add(static_cast<double>(batch->bytes()));
        if (failures.exchange(0, std::memory_order_acq_rel) > 0) {
          set_failing({});
          spdlog::info("pipeline {}: sink {} delivers again", owner_->pipeline_, label);
        }
        break;
      case SinkOutcome::kRetry:
        if (owner_->schedule_retry(*this, batch, why)) return;  // written again later
        give_up(batch);  // shutdown deadline: not checkpointed, read again after a restart
        return;
      case SinkOutcome::kRejected:
        rejected_.inc();
        owner_->events_.rejected(label, why);
        give_up(batch);
        return;
    }
    settle(batch);
  }

  // Finishes `batch` for this sink as not delivered.
  void give_up(Batch* batch) {
    error_.add(static_cast<double>(batch->live_events()));
    SinkFanout::fail(*batch);
    settle(batch);
  }

 private:
  void settle(Batch* batch) {
    if (SinkFanout::settle(*batch)) owner_->events_.finish(batch, !SinkFanout::failed(*batch));
  }

  SinkSet* owner_;
  Counter ok_, error_, bytes_, retries_, rejected_;
  mutable std::mutex mu_;
  std::string failing_;  // guarded by mu_
  std::unique_ptr<Sink> sink_;
};

SinkSet::SinkSet(std::string pipeline, std::stop_token abort, Events events)
    : pipeline_(std::move(pipeline)), abort_(std::move(abort)), events_(std::move(events)) {}

SinkSet::~SinkSet() {
  stop_retries();
  {
    std::lock_guard lock(retry_mu_);
    retry_closed_ = true;  // a retry answered from a sink's destructor is given up
  }
  slots_.clear();
}

void SinkSet::add(std::unique_ptr<Sink> sink, std::string label, const MetricsScope& scope) {
  slots_.push_back(std::make_unique<Slot>(this, std::move(sink), std::move(label), scope));
}

void SinkSet::start() {
  retry_thread_ = std::jthread([this](std::stop_token st) { retry_loop(st); });
}

void SinkSet::write(BatchPtr batch) {
  Batch* b = batch.release();
  SinkFanout::start(*b, slots_.size());
  for (auto& slot : slots_) {
    if (slot->retrying.load(std::memory_order_acquire) > 0) {
      // Hold this batch while the sink retries an earlier one: order is kept, and backpressure
      // reaches the input. The shutdown deadline (abort) ends the wait.
      std::unique_lock lock(retry_mu_);
      retry_cv_.wait(lock, abort_,
                     [&] { return slot->retrying.load(std::memory_order_acquire) == 0; });
    }
    slot->sink().write(*b, SinkAck(slot.get(), b));
  }
}

void SinkSet::flush(std::chrono::steady_clock::time_point deadline) {
  for (auto& slot : slots_) {
    if (Status st = slot->sink().flush(deadline); !st) {
      spdlog::error("pipeline {}: sink flush: {}", pipeline_, st.message());
    }
  }
}

void SinkSet::stop_retries() {
  retry_thread_.request_stop();
  if (retry_thread_.joinable()) retry_thread_.join();
}

std::string SinkSet::not_ready() const {
  std::string out;
  auto add = [&](const std::string& why) { out += (out.empty() ? "" : "; ") + why; };
  for (const auto& slot : slots_) {
    if (std::string why = slot->failing(); !why.empty()) {
      add("sink " + slot->label + " retrying: " + why);
    } else if (std::string nr = slot->sink().not_ready(); !nr.empty()) {
      add("sink " + slot->label + ": " + nr);
    }
  }
  return out;
}

bool SinkSet::schedule_retry(Slot& slot, Batch* batch, std::string_view why) {
  if (abort_.stop_requested()) return false;
  const uint32_t n = slot.failures.fetch_add(1, std::memory_order_acq_rel) + 1;
  // 50 ms, doubling, at most 5 s between attempts.
  const auto backoff = std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(50) * (1u << std::min<uint32_t>(n - 1, 7)),
      std::chrono::seconds(5));
  {
    std::lock_guard lock(retry_mu_);
    if (retry_closed_) return false;
    slot.retrying.fetch_add(1, std::memory_order_acq_rel);
    retry_queue_.push_back({&slot, batch, std::chrono::steady_clock::now() + backoff});
  }
  retry_cv_.notify_all();
  slot.retries().inc();
  if (slot.failing() != why) {
    spdlog::warn("pipeline {}: sink {}: {}; writing the batch again (attempt {}, then backing off)",
                 pipeline_, slot.label, why, n + 1);
  }
  slot.set_failing(why.empty() ? "retrying" : why);
  return true;
}

void SinkSet::retry_loop(std::stop_token stop) {
  // The shutdown deadline wakes the loop too.
  std::stop_callback on_abort(abort_, [this] { retry_cv_.notify_all(); });
  std::unique_lock lock(retry_mu_);
  while (true) {
    const bool ending = stop.stop_requested() || abort_.stop_requested();
    if (ending) {
      retry_closed_ = true;
      if (retry_queue_.empty()) break;
    } else if (retry_queue_.empty()) {
      retry_cv_.wait(lock, stop, [&] { return !retry_queue_.empty() || abort_.stop_requested(); });
      continue;
    } else if (std::chrono::steady_clock::now() < retry_queue_.front().due) {
      const auto due = retry_queue_.front().due;
      retry_cv_.wait_until(lock, stop, due, [&] { return abort_.stop_requested(); });
      continue;
    }
    RetryEntry e = retry_queue_.front();
    retry_queue_.pop_front();
    lock.unlock();
    if (ending) {
      e.slot->give_up(e.batch);
    } else {
      e.slot->sink().write(*e.batch, SinkAck(e.slot, e.batch));
    }
    e.slot->retrying.fetch_sub(1, std::memory_order_acq_rel);
    lock.lock();
    retry_cv_.notify_all();  // lanes held behind this sink
  }
}

}  // namespace logagent
