// FileReader: one followed file's state machine -- descriptor, identity, offsets, and the read
// turn that frames its lines into batches.
//
// Offsets: `offset` is the first byte not yet framed (a held partial line starts there, so the
// file itself is the buffer for it); `read_end` is how far the file was read (new data exists
// when the size passes it); `covered` is the end of the last batch emitted. They differ only
// while the rest of an over-long line is being skipped: the skipped bytes are covered by the next
// batch so the checkpoint can pass them.
//
// With multiline joining, the lines of an event not yet complete are held the same way: the
// batch ends before them, `offset` stays at their first byte and `held_end` marks the end of
// the complete lines after it; the next read starts from `offset` again (into a fresh or larger
// buffer when they no longer fit, so an event is always one contiguous view), and a checkpoint
// never passes them. flush_held() emits them once the file has been idle for flush_after.
//
// A reader is open (fd >= 0) or dormant (closed to honour max_open_files; its SourceState is
// kept and it is reopened by identity). It follows its path, or drains: the path now names
// another file or nothing, so it is read to its end and then closed and forgotten.
//
// Its source fields (ReadEnv::source_fields) are made once, at its first batch, and kept when
// it is renamed (kubelet rotation: 0.log -> 0.log.<timestamp> is still the same container's).
//
// Threads: input thread only. The SourceState it shares with the pipeline is thread-safe.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include <vector>

#include "agent/api/batch.h"
#include "agent/api/plugin.h"
#include "agent/api/source.h"
#include "agent/core/clock.h"

#include "plugins/common/chunk_cursor.h"
#include "plugins/inputs/tail/multiline.h"
#include "plugins/inputs/tail/open_budget.h"
#include "plugins/inputs/tail/tail_metrics.h"
#include "plugins/inputs/tail/tail_sys.h"

namespace logagent::plugins::tail {

// Multiline joining for every file of the input: the joiner (reset for each read, since held
// lines are read again from the file) and scratch space for the framed lines.
struct MultilineEnv {
  MultilineJoiner joiner;
  int64_t flush_after_ns = 0;
  std::vector<Event> lines;
};

// What a read turn needs from the input.
struct ReadEnv {
  InputContext& ctx;
  ChunkCursor& chunk;
  TailMetrics& metrics;
  size_t max_line = 0;
  size_t min_free = 16 * 1024;  // below this the current chunk is replaced
  bool once = false;
  bool once_emit_partial = false;     // --once: emit a last line without its newline
  size_t max_buffer = 0;              // largest read buffer; 0: max_line + 1
  MultilineEnv* multiline = nullptr;  // null: every line is an event
  // The source fields of a file, from its path (SourceInfo::fields): called once per file, when
  // its first batch is emitted. null: none.
  std::function<std::vector<SourceField>(const std::string& path)> source_fields = nullptr;
  // Steady-clock ns: a turn ends (kBudget) once past it -- the read round's time slice.
  int64_t deadline = std::numeric_limits<int64_t>::max();

  size_t buffer_limit() const { return max_buffer != 0 ? max_buffer : max_line + 1; }
};

enum class TurnEnd { kEof, kBudget, kStopped, kError };

class FileReader {
 public:
  // Bytes one turn may read before the next file gets its turn (fairness).
  static constexpr uint64_t kTurnBytes = 4 * 1024 * 1024;

  // Takes ownership of `fd` and, when `budget` is set and fd >= 0, of the unit of `budget` it
  // holds (open_budget.h): close() gives it back. Its SourceState was opened at `offset`. Its
  // system calls and clock are `sys`'s (tail_sys.h).
  FileReader(int fd, std::string path, const FileIdentity& id, uint64_t offset,
             std::shared_ptr<SourceState> state, OpenBudget* budget = nullptr,
             TailSys& sys = real_tail_sys());
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // fstat()s the file, restarts at 0 on truncation, grows the fingerprint. True if there are
  // bytes past what was read. False (with `error` set) when the file can't be examined.
  bool sync(ReadEnv& env, bool* error = nullptr);
  // Reads and emits up to kTurnBytes, or until env.deadline. Call after sync().
  TurnEnd turn(ReadEnv& env);
  // Multiline: emits the held lines as they are (flush_after). Needs an open descriptor. kError
  // when they could not be read: still held after a failed read (counted), no longer when the
  // file shrank.
  TurnEnd flush_held(ReadEnv& env);
  // Multiline: complete lines are held, waiting for the rest of their event.
  bool holding() const { return held_end_ > offset_; }
  // Steady-clock time new bytes were last read (or seen: see_data()).
  int64_t last_data() const { return last_data_; }
  void see_data(int64_t now_mono_ns) { last_data_ = now_mono_ns; }

  void close();
  // Adopts a descriptor of the same file (reopen after an idle close), with its budget unit.
  void reopen(int fd);
  // The file now lives at `path` (renamed within the matched set).
  void rename(SourceTracker& sources, const std::string& path);
  // The path no longer names this file: read it to its end, then let it go.
  void detach(int64_t now_mono_ns);
  // The path names this file again: follow it.
  void attach() { draining_ = false; }

  bool open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  const FileIdentity& identity() const { return identity_; }
  const std::shared_ptr<SourceState>& state() const { return state_; }
  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }
  // `st` (a stat of its path) has the size and mtime the file had when last examined.
  bool unchanged(const struct stat& st) const;
  // A read failed: unchanged() is false until the next sync(), so a rescan reopens it if it is
  // closed meanwhile (beyond max_open_files).
  void retry_at_scan() { mtime_ns_ = -1; }
  uint64_t unread() const { return size_ > offset_ ? size_ - offset_ : 0; }
  bool at_eof() const { return size_ <= read_end_; }
  bool draining() const { return draining_; }
  int64_t drain_since() const { return drain_since_; }
  bool deleted() const { return deleted_; }
  int64_t deleted_since() const { return deleted_since_; }
  int64_t last_active() const { return last_active_; }
  void set_last_active(int64_t now_mono_ns) { last_active_ = now_mono_ns; }
  // Set when a change notification or a poll says the file may have grown.
  bool maybe_data = true;

 private:
  enum class Step { kMore, kEof, kNeedFresh, kNeedBig, kStopped, kError };
  Step read_once(ReadEnv& env);
  Step finish_skip_at_eof(ReadEnv& env);
  size_t take_partial(ReadEnv& env, const char* buf, size_t n, size_t used, bool eof,
                      std::vector<Event>& lines, uint64_t* truncated, bool* held);
  size_t join(ReadEnv& env, size_t used, bool eof, bool flush_at_eof, bool untouched, Batch& batch);
  bool emit(ReadEnv& env, BatchPtr batch, uint64_t end, uint64_t truncated);
  void restart(ReadEnv& env, const struct stat& st, const char* why);
  bool take_fingerprint(ReadEnv& env, const struct stat& st);
  size_t reserve_for(size_t bytes) const;

  TailSys& sys_;
  int fd_;
  OpenBudget* budget_;
  std::string path_;
  FileIdentity identity_;
  std::shared_ptr<SourceState> state_;
  // Made at the first emit (null until then and after a rename); its fields are the file's,
  // taken from the path it was first emitted under.
  std::shared_ptr<const SourceInfo> source_;
  std::vector<SourceField> source_fields_;
  bool described_ = false;
  uint64_t generation_ = 0;
  uint64_t offset_;
  uint64_t read_end_;
  uint64_t covered_;
  uint64_t size_ = 0;
  int64_t mtime_ns_ = -1;  // as of the last sync()
  uint64_t held_end_ = 0;  // multiline: end of the held complete lines (> offset_ when held)
  uint64_t held_logged_ = UINT64_MAX;  // --once: where a held partial last line was logged
  size_t bytes_per_line_ = 64;         // running estimate for reserving events
  bool skipping_ = false;
  // Restarted, its new fingerprint could not be read: taken before anything is read (else a
  // rewrite before the next check would go unseen).
  bool fingerprint_pending_ = false;
  bool draining_ = false;
  bool deleted_ = false;
  int64_t drain_since_ = 0;
  int64_t deleted_since_ = 0;
  int64_t last_active_ = 0;
  int64_t last_data_ = 0;
};

using logagent::mono_now_ns;
int64_t mtime_ns(const struct stat& st);

}  // namespace logagent::plugins::tail
