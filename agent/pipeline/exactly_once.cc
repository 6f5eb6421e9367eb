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
    // The cluster may be away (a reload or a restart while the broker is down): the Restarter
    // builds and starts the pipeline again, with backoff, instead of leaving it stopped.
    restart_wanted_.store(true, std::memory_order_release);
    return Status::error("delivery: exactly_once: sink " + eos_sink_type_ + ": " + text.message());
  }
  if (text->empty()) return load_local();

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

Result<std::vector<CheckpointEntry>> Pipeline::load_local() {
  // Nothing committed: a first run, or the local file as at_least_once does.
  auto local = checkpointer_.load();
  if (!local) return local;
  if (!local->empty()) {
    // The sink holds no checkpoint, yet this pipeline checkpointed before: its committed copy is
    // gone (e.g. Kafka's offsets topic deleted or emptied), or it ran with at_least_once. The
    // file is what the sink committed last, unless the agent died between that commit and the
    // write of the file: then what the missing commit covered is delivered again.
    checkpointer_.count_local_fallback();
    spdlog::warn(
        "pipeline {}: no checkpoint committed by sink {} (its committed copy was deleted, or the "
        "pipeline ran with at_least_once before): starting from the local checkpoint file ({} "
        "file(s)), which holds the last commit it saw; lines committed after that, if any, are "
        "delivered again",
        name_, eos_sink_type_, local->size());
  }
  std::lock_guard lock(commit_mu_);
  last_committed_ = CheckpointStore::serialize(local.value());
  return local;
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
