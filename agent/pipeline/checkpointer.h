// Checkpointer: writes what the AckTracker says is committed to the pipeline's checkpoint file,
// every checkpoint_interval and once more at shutdown.
//
// load() reads the previous run's file (a corrupt one is logged, counted and taken as a first
// run); start() begins the periodic saves. A save writes only when the text changed; a failed
// save is counted, logged once per distinct cause, shown by problem() (GET /ready) and retried at
// the next interval. Entries of the previous run that no file claimed within
// checkpoint_keep_unclaimed are dropped at a save, each counted and logged.
//
// With delivery: exactly_once (CheckpointMode::kCommitted) the file is a cache of what the sink
// committed with its output: there is no periodic thread, save() writes nothing (what is
// acknowledged may not be committed yet), and only write_committed() writes -- counted, retried
// and reported as a save is. text() is what a save would write now.
//
// Threads: load/start/stop from the supervisor thread; save() from the periodic thread, the
// input thread (InputContext::save_checkpoint) and the shutdown, text() and write_committed() from
// the sink's threads (all serialized); problem() and age_ns() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/metrics.h"
#include "agent/api/status.h"
#include "agent/checkpoint/checkpoint_store.h"
#include "agent/config/config.h"
#include "agent/pipeline/ack_tracker.h"

namespace logagent {

inline constexpr MetricDef kCheckpointWrites{"logagent_checkpoint_writes_total",
                                             MetricKind::kCounter, "pipeline",
                                             "Checkpoint files written"};
inline constexpr MetricDef kCheckpointErrors{"logagent_checkpoint_errors_total",
                                             MetricKind::kCounter, "pipeline",
                                             "Checkpoint writes that failed (retried)"};
inline constexpr MetricDef kCheckpointCorrupt{
    "logagent_checkpoint_corrupt_total", MetricKind::kCounter, "pipeline",
    "Checkpoint files found corrupt (set aside; the pipeline starts as on a first run)"};
inline constexpr MetricDef kCheckpointEntriesExpired{
    "logagent_checkpoint_entries_expired_total", MetricKind::kCounter, "pipeline",
    "Checkpoint entries of the previous run dropped after checkpoint_keep_unclaimed without a "
    "file claiming them"};
inline constexpr MetricDef kCheckpointAge{
    "logagent_checkpoint_age_seconds", MetricKind::kGauge, "pipeline",
    "Seconds since the checkpoint file last matched what was acknowledged (grows while "
    "checkpoint writes fail)"};
inline constexpr MetricDef kCheckpointLocalFallbacks{
    "logagent_checkpoint_local_fallbacks_total", MetricKind::kCounter, "pipeline",
    "delivery: exactly_once: starts from the local checkpoint file because the sink had no "
    "committed checkpoint although the file had entries (the committed copy deleted, or the "
    "pipeline ran at_least_once before)"};
inline constexpr MetricDef kCheckpointerMetrics[] = {kCheckpointWrites,  kCheckpointErrors,
                                                     kCheckpointCorrupt, kCheckpointEntriesExpired,
                                                     kCheckpointAge,     kCheckpointLocalFallbacks};

enum class CheckpointMode { kPeriodic, kCommitted };

class Checkpointer {
 public:
  Checkpointer(std::string pipeline, const AgentConfig& agent, AckTracker& acks,
               const MetricsScope& scope, CheckpointMode mode = CheckpointMode::kPeriodic);
  ~Checkpointer() { stop(); }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // The previous run's entries (empty on a first run or after a corrupt file); an error when the
  // file cannot be read at all.
  Result<std::vector<CheckpointEntry>> load();
  // Saves are allowed from now on, and (kPeriodic) a thread saves every checkpoint_interval.
  void start();
  // Ends the periodic thread (a save in progress finishes first).
  void stop();
  // Writes the checkpoint if it changed. False when the write failed. Before start() it writes
  // nothing and returns true: a pipeline that never started loaded nothing, and writing would
  // replace the previous run's checkpoint with an empty one. kCommitted: writes nothing.
  bool save();
  // The checkpoint of what is acknowledged now (CheckpointStore's text), after dropping the
  // expired unclaimed entries.
  std::string text();
  // kCommitted: writes `text`, which the sink committed. False when the write failed (the
  // committed copy stays where the sink keeps it; the next commit writes the file again).
  bool write_committed(const std::string& text);
  // kCommitted: the pipeline starts from this file because the sink committed nothing although
  // the file has entries (logagent_checkpoint_local_fallbacks_total).
  void count_local_fallback() { fallbacks_.inc(); }
  // Why the last save failed, empty when it succeeded.
  std::string problem() const;
  // The last save error logged (for the final message at shutdown).
  std::string last_error() const;
  // Nanoseconds since the file last matched what was acknowledged.
  int64_t age_ns(int64_t now_mono_ns) const {
    return now_mono_ns - current_ns_.load(std::memory_order_relaxed);
  }

 private:
  void loop(std::stop_token stop);
  void expire_locked();
  bool write_locked(std::string text);  // under mu_: writes, counts, reports

  const std::string pipeline_;
  const AgentConfig& agent_;
  AckTracker& acks_;
  const CheckpointMode mode_;
  CheckpointStore store_;
  Counter errors_, writes_, corrupt_, expired_;
  Counter fallbacks_;  // kCommitted only (registered then)
  std::atomic<bool> started_{false};
  std::atomic<int64_t> current_ns_{0};  // steady clock: when the file was last up to date
  mutable std::mutex mu_;               // serializes saves (periodic vs final)
  std::string last_saved_;              // guarded by mu_: the text of the last successful save
  // guarded by mu_: acks_.changes() when last_saved_ was taken (none: nothing saved yet)
  std::optional<uint64_t> saved_changes_;
  std::string last_error_;  // guarded by mu_: logged once per distinct cause
  std::string problem_;     // guarded by mu_
  std::jthread thread_;
};

}  // namespace logagent
