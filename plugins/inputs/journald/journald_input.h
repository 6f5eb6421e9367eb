// JournaldInput: the `journald` input plugin -- reads the systemd journal (the system's, a
// directory or files) through libsystemd and emits one event per entry (entry_mapper.h).
//
// run() is the pipeline's input thread. It opens the journal there (libsystemd wants one thread
// per journal), picks where to start (journal_start.h: after the saved cursor, else read_from;
// a start chosen now -- read_from: tail -- or moved by a loss is written to the checkpoint
// before the first entry is read, InputContext::save_checkpoint), and reads entries into chunks of
// the agent's buffer pool, one batch at a time (at most kMaxBatchEntries entries or one chunk of
// text). Each batch carries the cursor of its last entry (Batch::position); the pipeline
// checkpoints the cursor of the last batch every sink acknowledged, so a restart resumes after it:
// at least once, in journal order. Backpressure stops the reader: taking a chunk waits while the
// pool's budget is spent, emit() waits while the lane is full. At the end of the journal the batch
// in hand is emitted and the input waits for new entries (wait_interval at most, which bounds how
// long a stop request waits); after kChunkIdleRelease of idleness it gives its chunk back (the
// pool's in_use returns to 0). --once reads to the end of the journal and returns.
//
// The journal's place in the stream of events is a byte count of this run (Batch::begin/end,
// Event::offset: the text copied so far plus one per entry); only the cursor is kept across runs.
//
// Threads: create() on the configuration thread; run() on the input thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/input_metrics.h"
#include "agent/api/plugin.h"
#include "agent/api/status.h"
#include "plugins/inputs/journald/journald_options.h"

namespace logagent::plugins::journald {

class Journal;

class JournaldInput final : public Input {
 public:
  static constexpr std::string_view kName = "journald";
  using Options = JournaldOptions;
  static constexpr size_t kMaxBatchEntries = 2048;
  static constexpr std::chrono::milliseconds kChunkIdleRelease{1000};
  static constexpr std::chrono::seconds kRetryOpen{5};

  static Result<std::unique_ptr<Input>> create(const Options& options, const PluginContext& ctx);

  void run(InputContext& ctx) override;
  // run() once the journal is open: picks the start, then reads until stopped (or, --once, to
  // the end of the journal). Public for the tests, which hand it a journal of their own.
  void read(InputContext& ctx, Journal& journal);

  // The checkpoint identity of the journal read as `source_name` (dev 0: no file's).
  static FileIdentity identity(const std::string& source_name);

 private:
  JournaldInput(const Options& options, const PluginContext& ctx);
  std::unique_ptr<Journal> open_journal(InputContext& ctx);

  Options options_;
  std::string pipeline_;
  std::string source_;
  Counter lost_vacuumed_;  // kInputFilesLost{reason=vacuumed}
};

}  // namespace logagent::plugins::journald

namespace logagent {
template <>
struct PluginMetrics<plugins::journald::JournaldInput> {
  static std::vector<MetricDef> defs() { return {kInputFilesLost}; }
};
}  // namespace logagent
