#include "agent/pipeline/checkpointer.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "agent/core/clock.h"

namespace logagent {

Checkpointer::Checkpointer(std::string pipeline, const AgentConfig& agent, AckTracker& acks,
                           const MetricsScope& scope, CheckpointMode mode)
    : pipeline_(std::move(pipeline)),
      agent_(agent),
      acks_(acks),
      mode_(mode),
      store_(agent.data_dir + "/" + pipeline_ + ".checkpoint"),
      errors_(scope.counter(kCheckpointErrors)),
      writes_(scope.counter(kCheckpointWrites)),
      // Registered up front so that it reads 0, not absent, until a corrupt checkpoint is found.
      corrupt_(scope.counter(kCheckpointCorrupt)),
      expired_(scope.counter(kCheckpointEntriesExpired)),
      fallbacks_(mode == CheckpointMode::kCommitted ? scope.counter(kCheckpointLocalFallbacks)
                                                    : Counter()),
      current_ns_(mono_now_ns()) {}

Result<std::vector<CheckpointEntry>> Checkpointer::load() {
  auto loaded = store_.load();
  if (!loaded) return Status::error(loaded.message());
  if (!loaded->problem.empty()) {
    spdlog::error("pipeline {}: {}; starting as on a first run", pipeline_, loaded->problem);
    corrupt_.inc();
  }
  return std::move(loaded->entries);
}

void Checkpointer::start() {
  current_ns_.store(mono_now_ns(), std::memory_order_relaxed);
  started_.store(true, std::memory_order_release);
  if (mode_ == CheckpointMode::kPeriodic) {
    thread_ = std::jthread([this](std::stop_token st) { loop(st); });
  }
}

void Checkpointer::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::loop(std::stop_token stop) {
  while (sleep_until(stop, std::chrono::steady_clock::now() + agent_.checkpoint_interval.value)) {
    save();
  }
}

std::string Checkpointer::problem() const {
  std::lock_guard lock(mu_);
  return problem_;
}

std::string Checkpointer::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void Checkpointer::expire_locked() {
  const int64_t keep =
      std::chrono::duration_cast<std::chrono::nanoseconds>(agent_.checkpoint_keep_unclaimed.value)
          .count();
  for (const CheckpointEntry& e : acks_.expire_unclaimed(mono_now_ns(), keep)) {
    expired_.inc();
    spdlog::warn(
        "pipeline {}: checkpoint entry of {} (offset {}) dropped: no file claimed it for "
        "checkpoint_keep_unclaimed",
        pipeline_, e.path, e.offset);
  }
}

bool Checkpointer::save() {
  if (!started_.load(std::memory_order_acquire)) return true;
  if (mode_ == CheckpointMode::kCommitted) return true;  // only write_committed() writes
  std::lock_guard lock(mu_);
  expire_locked();
  // Read before the snapshot: a change made meanwhile makes the next save take one again.
  const uint64_t changes = acks_.changes();
  if (saved_changes_ == changes) {  // nothing changed since the last save: an idle agent
    current_ns_.store(mono_now_ns(), std::memory_order_relaxed);
    return true;
  }
  std::string text = CheckpointStore::serialize(acks_.snapshot());
  if (text == last_saved_) {
    saved_changes_ = changes;
    current_ns_.store(mono_now_ns(), std::memory_order_relaxed);
    return true;
  }
  if (!write_locked(std::move(text))) return false;
  saved_changes_ = changes;
  return true;
}

std::string Checkpointer::text() {
  std::lock_guard lock(mu_);
  expire_locked();
  return CheckpointStore::serialize(acks_.snapshot());
}

bool Checkpointer::write_committed(const std::string& text) {
  std::lock_guard lock(mu_);
  if (text == last_saved_) {
    current_ns_.store(mono_now_ns(), std::memory_order_relaxed);
    return true;
  }
  return write_locked(text);
}

bool Checkpointer::write_locked(std::string text) {
  if (Status st = store_.save_text(text); !st) {
    errors_.inc();
    problem_ = st.message();
    if (st.message() != last_error_) {
      spdlog::error("pipeline {}: checkpoint not written (will retry): {}", pipeline_,
                    st.message());
      last_error_ = st.message();
    }
    return false;
  }
  if (!last_error_.empty()) spdlog::info("pipeline {}: checkpoint written again", pipeline_);
  last_error_.clear();
  problem_.clear();
  last_saved_ = std::move(text);
  writes_.inc();
  current_ns_.store(mono_now_ns(), std::memory_order_relaxed);
  return true;
}

}  // namespace logagent
