// Discovery: finds the files of a tail input on a thread of its own, so that finding and opening
// them never waits for reading.
//
// The input thread reads; it blocks whenever the pipeline pushes back (a full lane, an exhausted
// buffer pool, a stopped Kafka). Discovery keeps going meanwhile: it drains inotify in the order
// the kernel queued the events, follows renames through a RenameHistory, scans the globs on every
// structural event and every scan_interval, and opens ("pins") every file it has not seen before
// -- from a scan or from the history -- within max_open_files (one OpenBudget with the reader,
// open_budget.h: a pin holds a unit until the reader adopts or closes it), except a generation
// found only through the history under a name outside the globs: it is pinned whatever the
// budget, since nothing else could find it again. A pinned descriptor keeps the file
// readable whatever happens to its name: rotated out of the globs, rotated again, deleted. The
// input thread takes what was found (take(), wait()) between its read rounds and follows it
// (FileTracker::apply()). A file that arrived under a matched name and was gone before it could
// be opened (deleted, renamed over, moved out of the watched directories) is counted in
// logagent_input_files_lost_total{reason} and logged with its name.
//
// What discovery knows: the (dev, ino) of every file it pinned and of every file the tracker
// follows (seed(), tracked(), forgotten()): those are never pinned twice. A file the tracker read
// to its end and let go (forgotten()) is remembered by its whole identity (the last kMaxDone):
// renamed again later (app.log.1 -> app.log.2) it is not pinned as new -- unless it is not that
// file but one born since on its inode number (match_file()). An update holds the
// latest full scan (older ones are superseded: the tracker reconciles by identity), the pins
// made since the last update in the order they were found, and the paths that changed (a set,
// or "everything" past kMaxChanged).
//
// Threads: start()/stop()/seed() on the input thread; take(), wait(), wake_reader(), tracked()
// and forgotten() from the input thread while the discovery thread runs.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "agent/api/source.h"
#include "plugins/inputs/tail/file_opener.h"
#include "plugins/inputs/tail/inotify_watcher.h"
#include "plugins/inputs/tail/open_budget.h"
#include "plugins/inputs/tail/path_scanner.h"
#include "plugins/inputs/tail/rename_history.h"
#include "plugins/inputs/tail/scan_cache.h"
#include "plugins/inputs/tail/tail_metrics.h"
#include "plugins/inputs/tail/tail_options.h"
#include "plugins/inputs/tail/tail_sys.h"

namespace logagent::plugins::tail {

struct PinnedFile {
  OpenedFile file;       // fd (and its budget unit) owned until taken (set to -1 by the taker)
  bool matched = false;  // its path was matched by the globs when it was opened
  uint64_t seq = 0;      // the order of pins (and scans) on the discovery thread
};

struct DiscoveryUpdate {
  bool scanned = false;  // `scan` is a full scan newer than any before it
  std::vector<ScannedFile> scan;
  uint64_t scan_seq = 0;           // pins with a lower seq were made before `scan`
  std::vector<PinnedFile> pinned;  // in the order found
  std::set<std::string> changed;   // paths reported changed (IN_MODIFY...)
  // Paths whose file changed, then left that name (deleted, renamed): the change was the file
  // followed there until then, not one created under the name since.
  std::set<std::string> gone_changed;
  bool mark_all = false;         // more changes than kept: every file may have data
  OpenBudget* budget = nullptr;  // what the pins' units are given back to
  TailSys* sys = nullptr;        // what closes the pins (null: the real close)

  DiscoveryUpdate() = default;
  DiscoveryUpdate(DiscoveryUpdate&&) = default;
  DiscoveryUpdate& operator=(DiscoveryUpdate&& o) noexcept;
  DiscoveryUpdate(const DiscoveryUpdate&) = delete;
  DiscoveryUpdate& operator=(const DiscoveryUpdate&) = delete;
  ~DiscoveryUpdate() { clear(); }

  bool empty() const {
    return !scanned && pinned.empty() && changed.empty() && gone_changed.empty() && !mark_all;
  }
  // Closes the pins nobody took, giving their units back.
  void clear();
};

class Discovery {
 public:
  static constexpr size_t kMaxChanged = 4096;
  static constexpr size_t kMaxDone = 4096;

  // System calls and the clock are `sys`'s (tail_sys.h).
  Discovery(const TailOptions& options, const PathScanner& scanner, InotifyWatcher& watcher,
            TailMetrics& metrics, OpenBudget& budget, std::string pipeline,
            TailSys& sys = real_tail_sys());
  ~Discovery();
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Before start(): the files the tracker follows already.
  void seed(const std::vector<FileIdentity>& known);
  void start();
  void stop();

  // The input thread's side.
  // Moves what was found since the last call into `out` (which must be empty).
  void take(DiscoveryUpdate* out);
  // Like take(), first waiting until something was found, wake_reader() was called, or the
  // steady clock passed `until_ns`.
  void wait(int64_t until_ns, DiscoveryUpdate* out);
  void wake_reader();
  void tracked(const FileIdentity& id);
  void forgotten(const FileIdentity& id);
  // The tracker waits for a rescan (files it could not open, a read to retry, a file replaced
  // while closed): the next scan that starts after this call reaches it, changed or not. A scan
  // that started before does not answer it, even if the tracker applies it after.
  void request_rescan() { rescan_requests_.fetch_add(1, std::memory_order_acq_rel); }

  // The discovery thread's work, one step at a time (unit tests drive it without the thread).
  // Reads the events queued now (waiting up to `timeout_ms`), follows them, and scans when a
  // structural event came or `force_scan`; publishes what it found. True if it scanned.
  bool step(int timeout_ms, bool force_scan);
  // The budget units (descriptors) discovery holds for its rename history now.
  size_t tokens_held() const { return tokens_.load(std::memory_order_relaxed); }
  // What the last scan listed and stat'ed (ScanCache::Refresh), and whether it reached the
  // tracker.
  const ScanCache::Refresh& last_refresh() const { return last_refresh_; }
  bool last_scan_published() const { return last_scan_published_; }
  // A rescan lists and stats everything (ScanCache::forget_all()) at least this often, in scan
  // intervals: changes inotify does not report (a write through a hard link in a directory not
  // watched, a write through mmap) are seen within this many intervals, not one.
  static constexpr int64_t kFullScanIntervals = 60;

 private:
  using Key = std::pair<uint64_t, uint64_t>;
  static Key key_of(const struct stat& st) {
    return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  }
  void run(const std::stop_token& stop);
  void on_event(std::string_view path, uint32_t mask, uint32_t cookie);
  void apply_identity_changes();
  // `o` is a file the tracker has followed: being followed now, or read and let go.
  bool known_file(const OpenedFile& o) const;
  void changed_then_gone(const std::string& path);
  void report_lost();
  void open_pending();
  void scan();
  // A unit of budget_ for a file found under a matched name or not (false: no room).
  bool take_unit(bool matched);
  int64_t token_for(int fd, bool matched);
  void close_token(int64_t token);
  // A token of a file opened under a name outside the globs, not read yet (unheld_): the file
  // is pinned (hand_over) once the history confirms it is the file it meant, or once that file
  // went while this may be it; until then, earlier opens of the same entry are kept beside it
  // (earlier_).
  void superseded(int64_t old, int64_t token);
  // Pins the file of unheld token `token` (a descriptor of its own) unless the tracker knows it.
  void hand_over(int64_t token);
  // Pins `f`, which holds a unit of budget_ taken by the caller.
  void pin(OpenedFile f, bool matched);
  void publish();

  const TailOptions& options_;
  const PathScanner& scanner_;
  InotifyWatcher& watcher_;
  TailMetrics& metrics_;
  OpenBudget& budget_;
  const std::string pipeline_;
  TailSys& sys_;
  std::atomic<size_t> tokens_{0};  // RenameHistory's pin tokens: descriptors held, with units
  RenameHistory history_;

  // Discovery thread only.
  std::set<Key> known_;
  struct Done {
    FileIdentity id;
    uint64_t seq = 0;
  };
  std::map<Key, Done> done_;  // forgotten by the tracker (the last kMaxDone forgettings)
  std::deque<std::pair<Key, uint64_t>> done_order_;  // (key, seq), oldest first
  uint64_t done_seq_ = 0;
  std::vector<PinnedFile> pins_;  // made in this step
  // History tokens of unknown files opened under names outside the globs, not pinned yet: their
  // path as opened. A file read through a wrong guess at a rotated name (a name that held
  // another file by the time it was opened -- a copytruncate copy, say) would be read twice.
  std::map<int64_t, std::string> unheld_;
  std::map<int64_t, std::vector<int64_t>> earlier_;  // token -> unheld tokens it superseded
  static constexpr size_t kMaxEarlier = 8;
  static constexpr int64_t kConfirmWaitMs = 10;
  std::set<std::string> changed_;
  std::set<std::string> gone_changed_;
  bool mark_all_ = false;
  bool scanned_ = false;
  std::vector<ScannedFile> scan_;
  uint64_t scan_seq_ = 0;
  ScanCache cache_;
  int64_t next_full_scan_ = 0;  // steady clock
  ScanCache::Refresh last_refresh_;
  bool last_scan_published_ = false;
  std::atomic<uint64_t> rescan_requests_{0};
  uint64_t rescan_requests_served_ = 0;  // rescan_requests_ when the last published scan began
  bool forgotten_since_scan_ = false;    // the tracker let a file go since the last full scan
  uint64_t seq_ = 0;
  std::set<std::string> warned_;  // paths whose open error was logged

  std::mutex mu_;
  std::condition_variable cv_;
  DiscoveryUpdate out_;                                          // guarded by mu_
  std::vector<std::pair<bool, FileIdentity>> identity_changes_;  // guarded by mu_: (tracked?, id)
  bool woken_ = false;                                           // guarded by mu_
  std::jthread thread_;
};

}  // namespace logagent::plugins::tail
