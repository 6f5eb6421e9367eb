// The "file" sink: events appended to one file, raw or json, optionally zstd-compressed (one
// frame per batch: a valid .zst stream), optionally rolled by size and age.
//
// Acknowledges after write(2), or after fdatasync(2) with `fsync: true`. Parent directories are
// created. After every batch it checks that `path` still names the file it writes: a deleted
// output is reopened and the batch written again (nothing goes to a file nobody can read); a
// renamed one (someone else rotated it) is reopened for the next batch. A FIFO is opened without
// blocking: with no reader the sink is not ready and retries, never hangs start-up. Rolling renames
// the current file to <stem>-<UTC time>-<NNN><extensions> beside it (app.ndjson.zst ->
// app-20261127T040512Z-000.ndjson.zst; NNN counts rolls within one second, so names sort in write
// order) and opens a fresh `path`, between two batches, so every rolled file is complete and,
// compressed, decodes on its own. The age is checked when a batch is written: an idle file is
// rolled by the next batch. At start an uncompressed output that ends in part of a record (a
// write cut short by a crash: its batch was never acknowledged, and is written again) is cut back
// to its last newline, so no record is ever torn across a restart.
//
// Threads: see FdSink (write() from any lane; rolling happens under its lock).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "agent/api/options.h"
#include "agent/api/plugin.h"
#include "plugins/common/fd_sink.h"

namespace logagent::plugins::file_sink {

inline constexpr MetricDef kFileSinkRolls{"logagent_file_sink_rolls_total", MetricKind::kCounter,
                                          "pipeline,sink", "Output files rolled"};
inline constexpr MetricDef kFileSinkRollErrors{
    "logagent_file_sink_roll_errors_total", MetricKind::kCounter, "pipeline,sink",
    "Rolls that failed (writing went on to the old file)"};

struct FileOptions {
  std::string path;
  EventFormat format = EventFormat::kRaw;
  bool fsync = false;
  Compression compression = Compression::kNone;
  int compression_level = 3;
  ByteSize roll_size{0};
  Duration roll_interval{std::chrono::seconds(0)};
  static const Schema<FileOptions>& schema();
};

struct FileSink {
  static constexpr std::string_view kName = "file";
  using Options = FileOptions;
  static Result<std::unique_ptr<Sink>> create(const Options& o, const PluginContext& ctx);
  // The absolute output path, and the pattern of its rolled names when rolling is on.
  static std::vector<std::string> writes(const Options& o);
};

// The name a rolled file gets: `path` with "-<stamp>-<n, 3 digits>" inserted before the
// extensions of its last component ("a/app.ndjson.zst" -> "a/app-<stamp>-000.ndjson.zst").
std::string rolled_name(const std::string& path, const std::string& stamp, int n);

class RollingFileSink final : public FdSink {
 public:
  static Result<std::unique_ptr<RollingFileSink>> open(const FileOptions& o,
                                                       const PluginContext& ctx);
  // Rolls now if the file is not empty (tests; rolling is otherwise automatic).
  void roll_now();

 private:
  RollingFileSink(int fd, const FileOptions& o, uint64_t size, const PluginContext& ctx);
  void before_write(size_t bytes) override;
  void written(size_t bytes) override;
  bool reopen(std::string& why) override;
  bool can_reopen() const override { return true; }
  bool check_output(std::string& why) override;
  void roll();

  const std::string path_;
  const uint64_t roll_size_;
  const std::chrono::nanoseconds roll_interval_;
  uint64_t size_;  // bytes in the current file (guarded by the FdSink lock)
  std::chrono::steady_clock::time_point opened_;
  std::string last_error_;
  Counter rolls_, roll_errors_;
};

}  // namespace logagent::plugins::file_sink

namespace logagent {
template <>
struct PluginMetrics<plugins::file_sink::FileSink> {
  static std::vector<MetricDef> defs() {
    return {kSinkWriteErrors, plugins::file_sink::kFileSinkRolls,
            plugins::file_sink::kFileSinkRollErrors};
  }
};
}  // namespace logagent
