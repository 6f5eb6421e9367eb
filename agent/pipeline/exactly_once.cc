// Pipeline, delivery: exactly_once -- the pipeline's side of TransactionalSink
// (agent/api/plugin.h): beginning the sink's transactions at start(), and the CheckpointSource the
// sink commits from.
#include <spdlog/spdlog.h>

#include "agent/pipeline/pipeline.h"

namespace logagent {

Result<std::vector<CheckpointEntry>> Pipeline::load_committed() {
  TransactionalSink* sink = eos_sink_ != nullptr ? eos_sink_->transactional() : nullptr;
  if (sink == nullptr) {
    return Status::error("delivery: exactly_once: sink " + eos_sink_type_ +
                         " cannot deliver exactly once; use delivery: at_least_once with it");
  }
  auto text = sink->begin_exactly_once(*this);
  if (!text) {
    return Status::error("delivery: exactly_once: sink " + eos_sink_type_ + ": " + text.message());
  }
  if (text->empty()) {  // nothing committed yet: the local file, as at_least_once does
    auto local = checkpointer_.load();
    if (!local) return local;
    std::lock_guard lock(commit_mu_);
    last_committed_ = CheckpointStore::serialize(local.value());
    return local;
  }
  auto entries = CheckpointStore::parse(*text);
  if (!entries) {
    return Status::error("delivery: exactly_once: the checkpoint sink " + eos_sink_type_ +
                         " committed cannot be read: " + entries.message());
  }
  spdlog::info("pipeline {}: starting from the checkpoint committed by sink {} ({} file(s))", name_,
               eos_sink_type_, entries.value().size());
  std::lock_guard lock(commit_mu_);
  last_committed_ = std::move(*text);
  return entries;
}

std::string Pipeline::checkpoint_text() {
  std::lock_guard lock(commit_mu_);
  // Before start() seeded the tracker, or after a failed transaction: what was committed last
  // (the unclaimed entries of the previous run are not in the tracker yet; what was acknowledged
  // after a failure is not in the output).
  if (!eos_seeded_ || restart_wanted()) return last_committed_;
  return checkpointer_.text();
}

void Pipeline::committed(const std::string& text) {
  std::lock_guard lock(commit_mu_);
  last_committed_ = text;
  // A failed write is counted, logged and shown by /ready; the sink keeps the committed copy.
  (void)checkpointer_.write_committed(text);
}

void Pipeline::failed(const std::string& why) {
  {
    std::lock_guard lock(commit_mu_);  // checkpoint_text() gives the committed text from now on
    if (restart_wanted_.exchange(true, std::memory_order_acq_rel)) return;
  }
  {
    std::lock_guard lock(health_mu_);
    if (stopped_reason_.empty()) {
      stopped_reason_ =
          "exactly-once transaction failed: " + why + "; restarting from the committed checkpoint";
    }
  }
  spdlog::error(
      "pipeline {}: exactly-once transaction failed: {}; the pipeline stops reading and starts "
      "again from the committed checkpoint",
      name_, why);
  input_stop_.request_stop();
}

}  // namespace logagent
