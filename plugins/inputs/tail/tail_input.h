// TailInput: the `tail` input plugin -- follows files matched by globs and emits their lines.
//
// run() is the pipeline's input thread and the single producer of every lane queue (emit()
// routes by source id). Finding files is not its job once running: a Discovery thread
// (discovery.h) drains inotify, follows renames, scans the globs and opens new files at once,
// however long this thread is blocked by backpressure. This thread keeps one current chunk for
// all files, gives each file with data a turn of at most FileReader::kTurnBytes in rounds of at
// most FileTracker::kRoundNs, takes what discovery found between rounds, and, when no file has
// data, waits for discovery (or the poll interval) with a timeout. A partly filled chunk is
// kept across short pauses (a trickle of small writes then shares one chunk) and released after
// kChunkIdleRelease of idleness, so the pool's in_use returns to zero when the agent is idle.
// Discovery scans every scan_interval. With `multiline:`, lines are joined per file before they
// reach a lane (FileReader, multiline.h); a file's held event is emitted once it has been idle
// for flush_after, and the wait ends in time for it. --once scans once on this thread (no
// discovery thread), reads every file to its end, emitting held events there, and returns. A
// stop request ends waits at once and pool/emit waits through the stop token.
//
// Threads: create() on the configuration thread; run() on the input thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/plugin.h"
#include "agent/api/status.h"
#include "plugins/inputs/tail/path_scanner.h"
#include "plugins/inputs/tail/tail_metrics.h"
#include "plugins/inputs/tail/tail_options.h"

namespace logagent::plugins::tail {

class FileTracker;
class InotifyWatcher;
struct ReadEnv;

class TailInput final : public Input {
 public:
  static constexpr std::string_view kName = "tail";
  using Options = TailOptions;
  static constexpr Duration kChunkIdleRelease{std::chrono::milliseconds(1000)};

  static Result<std::unique_ptr<Input>> create(const Options& options, const PluginContext& ctx);
  // The input would read the file at absolute `path` (validate: a sink writing there loops).
  static bool reads(const Options& options, const std::string& path);
  // What the agent's buffer pool keeps the input from honouring (validate: warnings).
  static std::vector<OptionWarning> pool_warnings(const Options& options, const PoolSettings& pool);

  void run(InputContext& ctx) override;

  // The longest line the pool can hold (max_line_bytes, capped to the pool's budget).
  static size_t fit_max_line(size_t max_line_bytes, const BufferPool& pool);

 private:
  TailInput(const Options& options, const PluginContext& ctx, const std::string& cwd);
  void follow(ReadEnv& env, FileTracker& tracker, InotifyWatcher& watcher);

  Options options_;
  std::string pipeline_;
  PathScanner scanner_;
  TailMetrics metrics_;
  MetricsScope metrics_scope_;  // for the metrics made only when enabled (kubernetes.api)
};

}  // namespace logagent::plugins::tail
