// AckTracker: per-source bookkeeping of what was read, what was acknowledged, and what may be
// checkpointed.
//
// The pipeline's SourceTracker (agent/api/source.h): the input opens a SourceState per file. The
// pipeline records every batch it accepts (emitted()) and every batch all sinks have finished
// (completed()). A source's committed offset advances only over a contiguous prefix of acknowledged
// batches; a failed batch is a gap that holds the offset back until a restart reads the bytes
// again. A batch that carries a position (Batch::position: an input whose place is not a byte
// offset) moves the source's position with its offset. Truncation starts a new generation: batches
// of the old generation still complete (their chunks return) but move nothing.
//
// A batch whose tail a stage carried on to the source's next batch (Batch::carried_from, an
// unfinished partial line) moves the offset only up to where the carried bytes start; the batch
// that delivers them moves it on. A forgotten source whose carried bytes were not delivered yet
// (committed short of the end of what was read) stays in the checkpoint: the pipeline sends its
// lane a source_end batch (source_end_batch()) on which the stage emits them.
//
// It also keeps the checkpoint entries of the previous run that no source has claimed yet
// (seed_unclaimed()): a file that cannot be opened for now, a directory not mounted yet. Those
// stay in every snapshot -- a checkpoint never forgets a file because it could not be read this
// minute -- until a source with their (dev, ino) is opened (claimed), or until they expire
// (expire_unclaimed(), counted and logged by the pipeline).
//
// Threads: all members are thread-safe (one mutex per tracker for the source set, one per source
// for its pending list). Called once per batch, never per event.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/api/source.h"

namespace logagent {

class Batch;
using BatchPtr = std::unique_ptr<Batch>;

// The pipeline's SourceState: what is pending and committed for one file.
struct TrackedSource final : SourceState {
  struct Pending {
    uint64_t begin;
    uint64_t end;
    uint64_t delivered_to;  // min(end, Batch::carried_from), set on completion
    int64_t read_mono_ns;
    bool done;
    bool failed;
    std::string position;  // Batch::position
  };

  mutable std::mutex mu;
  FileIdentity identity;        // guarded by mu
  std::string path;             // guarded by mu
  uint64_t generation = 0;      // guarded by mu
  uint64_t committed = 0;       // guarded by mu
  std::string position;         // guarded by mu; that of the last batch committed (if it had one)
  uint64_t read_end = 0;        // guarded by mu; end of the last batch emitted (this generation)
  std::deque<Pending> pending;  // guarded by mu; in offset order
  bool forgotten = false;       // guarded by mu; drop from checkpoints once drained

  // Requires mu. Nothing pending and nothing carried by a stage: all that was read is delivered.
  bool drained() const { return pending.empty() && committed >= read_end; }

  TrackedSource(uint64_t source_id, const SourceTracker* tracker)
      : SourceState(source_id, tracker) {}
};

class AckTracker final : public SourceTracker {
 public:
  // The previous run's entries, before the input starts.
  void seed_unclaimed(std::vector<CheckpointEntry> entries);
  // Drops the unclaimed entries seeded more than `keep_ns` before `now_mono_ns` and returns
  // them.
  std::vector<CheckpointEntry> expire_unclaimed(int64_t now_mono_ns, int64_t keep_ns);
  size_t unclaimed() const;
  // SourceTracker (agent/api/source.h).
  using SourceTracker::open;
  std::shared_ptr<SourceState> open(const FileIdentity& id, std::string path, uint64_t offset,
                                    std::string position) override;
  void update(SourceState& s, const FileIdentity& id, const std::string& path) override;
  uint64_t restart(SourceState& s, uint64_t offset) override;
  void forget(SourceState& s) override;

  // The last batch of source `s` (Batch::source_end: no events, the empty range at the end of
  // what was read), for the pipeline to send after the input forgot `s`.
  BatchPtr source_end_batch(SourceState& s) const;

  // The pipeline accepted `batch` (called on the input thread, in file order).
  void emitted(const Batch& batch);
  // Every sink has finished `batch`; ok=false means at least one failed for good.
  void completed(const Batch& batch, bool ok);

  // What a checkpoint should hold now.
  std::vector<CheckpointEntry> snapshot() const;
  uint64_t committed(const SourceState& s) const;
  // Sum over sources of (file size - committed offset).
  uint64_t bytes_behind() const;
  // Age of the oldest batch emitted and not yet acknowledged (0 if none), in nanoseconds.
  int64_t oldest_unacked_age_ns(int64_t now_mono_ns) const;
  // Batches emitted and not yet completed.
  // A batch is counted completed only after it was counted emitted, so completed_ is loaded
  // first: loaded the other way round, a batch emitted and completed between the two loads made
  // the difference wrap to ~1.8e19.
  uint64_t in_flight() const {
    const uint64_t completed = completed_.load(std::memory_order_acquire);
    const uint64_t emitted = emitted_.load(std::memory_order_acquire);
    return emitted - completed;
  }
  uint64_t failed_batches() const { return failed_.load(std::memory_order_relaxed); }
  size_t sources() const;
  // The sources not forgotten.
  std::vector<std::shared_ptr<SourceState>> open_sources() const;
  // Grows after every change that can change snapshot(): equal before and after a snapshot is
  // taken, that snapshot is what the last one with that count held (the checkpointer skips
  // serializing an unchanged state: an idle agent with 10,000 files did it every interval).
  uint64_t changes() const { return changes_.load(std::memory_order_acquire); }

 private:
  void settle_locked(TrackedSource& s);
  // After the change is made (so a reader that sees the old count takes a snapshot again).
  void changed() { changes_.fetch_add(1, std::memory_order_acq_rel); }

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<TrackedSource>> sources_;  // guarded by mu_
  uint64_t next_id_ = 1;                                 // guarded by mu_
  std::vector<CheckpointEntry> unclaimed_;               // guarded by mu_
  int64_t seeded_mono_ns_ = 0;                           // guarded by mu_
  std::atomic<uint64_t> emitted_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> changes_{0};
};

}  // namespace logagent
