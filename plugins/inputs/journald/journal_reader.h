// JournalReader: reads a positioned Journal into batches and hands them to the pipeline --
// the journald input's loop, apart from opening the journal and choosing where to start.
//
// Each batch holds at most kMaxBatchEntries entries and about one chunk of text, in journal
// order, and carries the cursor of its last entry (Batch::position). Chunks come from the pool
// through a ChunkCursor (batches share a chunk while it has room); taking one waits while the
// budget is spent, and emit() waits while the lane is full, so a blocked pipeline stops the
// reader. See journald_input.h for the whole behaviour.
//
// Threads: the input thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/api/batch.h"
#include "agent/api/plugin.h"
#include "plugins/common/chunk_cursor.h"
#include "plugins/inputs/journald/entry_mapper.h"
#include "plugins/inputs/journald/journal.h"

namespace logagent::plugins::journald {

struct ReaderSettings {
  size_t max_batch_entries = 2048;
  std::chrono::milliseconds wait_interval{250};
  std::chrono::milliseconds chunk_idle_release{1000};
};

class JournalReader {
 public:
  JournalReader(InputContext& ctx, Journal& journal, std::shared_ptr<SourceState> state,
                std::shared_ptr<const SourceInfo> source, ReaderSettings settings);

  // Reads until stopped or, with ctx.once(), until the end of the journal. `on_entry`: the
  // journal is already on the first entry to read (StartPoint::on_entry).
  void run(bool on_entry);

  uint64_t entries() const { return entries_; }

 private:
  // Adds the journal's current entry to the batch in hand; false when stopping.
  bool add_current();
  // Hands the batch in hand (if any) to the pipeline; false when the pipeline is stopping.
  bool emit();
  // At the end of the journal: waits for new entries (following), releasing the chunk once
  // idle for long enough.
  void idle(int64_t& idle_since_ns);

  InputContext& ctx_;
  Journal& journal_;
  std::shared_ptr<SourceState> state_;
  std::shared_ptr<const SourceInfo> source_;
  const ReaderSettings settings_;
  ChunkCursor chunk_;
  BatchPtr batch_;
  EntryScratch scratch_;  // read_entry()'s copies of the small fields
  std::string cursor_;    // of the last entry added
  uint64_t offset_ = 0;
  uint64_t entries_ = 0;
  int last_error_ = 0;  // logged once per distinct error
};

}  // namespace logagent::plugins::journald
