// FileTracker: the set of files the tail input follows, kept in step with the globs.
//
// It owns the FileReaders. A scan is reconciled by identity: a followed file found under another
// matched name is renamed (not re-read); a followed file whose inode left the matched set (its
// path now names another file, or nothing) is detached and drained; every unclaimed match is a
// new file -- resumed from the checkpoint or placed by read_from at start-up, read from 0 when it
// appears later. The open-files budget (max_open_files; one OpenBudget shared with discovery,
// open_budget.h) bounds the descriptors: files found
// beyond it are kept closed (dormant) and opened only to be read, then closed again at their end;
// idle files beyond it are closed; a dormant file is reopened by identity when it changes (a
// notification, or a rescan that sees another size or mtime). Drained files are closed and
// forgotten after a grace period; deleted files past deleted_max_pinned / deleted_max_age are
// abandoned and counted.
//
// By concern: file_tracker.cc follows the globs (scans reconciled, files added, renamed,
// drained, dropped); file_tracker_read.cc runs the read rounds and the multiline flush;
// file_tracker_limits.cc maintains between scans (drains closed, deleted-file caps, open-files
// budget) and keeps the change-notification index and the gauges.
//
// Threads: input thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plugins/inputs/tail/discovery.h"
#include "plugins/inputs/tail/file_opener.h"
#include "plugins/inputs/tail/file_reader.h"
#include "plugins/inputs/tail/inotify_watcher.h"
#include "plugins/inputs/tail/open_budget.h"
#include "plugins/inputs/tail/path_scanner.h"
#include "plugins/inputs/tail/tail_options.h"
#include "plugins/inputs/tail/tail_sys.h"

namespace logagent::plugins::tail {

class FileTracker {
 public:
  // The longest read round (see read_round()).
  static constexpr int64_t kRoundNs = 10'000'000;

  // System calls and clocks are `sys`'s (tail_sys.h), for this tracker and its readers.
  FileTracker(const TailOptions& options, const PathScanner& scanner, InotifyWatcher& watcher,
              TailMetrics& metrics, TailSys& sys = real_tail_sys());

  // The first scan: checkpoints, read_from, and files rotated while the agent was down.
  void start(ReadEnv& env);
  // Later scans: renames followed, replaced or deleted paths drained, new files from 0.
  void rescan(ReadEnv& env);
  // What discovery found (discovery.h): its scan reconciled as rescan() does, with the files it
  // pinned adopted by identity (read from 0); a pinned file no longer in the scan (or, without a
  // scan, not matched when it was pinned) is drained. Change notifications mark their files.
  void apply(ReadEnv& env, DiscoveryUpdate& update);
  // Told of every file followed and let go (null: none).
  void set_discovery(Discovery* d) { discovery_ = d; }
  std::vector<FileIdentity> identities() const;
  // One turn for every file that may have data, within kRoundNs. False in `*stopped` when emit
  // or the pool gave up. Returns true if any bytes were read.
  bool read_round(ReadEnv& env, bool* stopped);
  // Multiline: emits the held lines of every file idle for flush_after at `now` (files that
  // grew meanwhile are read first). Returns true if any were emitted; `*stopped` as above.
  bool flush_idle(ReadEnv& env, int64_t now, bool* stopped);
  // Multiline: when the next flush_idle() is due (INT64_MAX when nothing is held).
  int64_t next_flush(const ReadEnv& env) const;
  // Closes drained files, applies the deleted-file caps and the open-files budget.
  void maintain(ReadEnv& env, int64_t now_mono_ns);
  // --once: closes and forgets every draining file (all were read to their end).
  void finish_drains(ReadEnv& env);
  // --once: closes every file read to its end (their descriptors go to files not opened yet).
  void close_finished();
  // Matched files that could not be opened (path -> errno), until one opens.
  const std::map<std::string, int>& unopened() const { return unopened_; }

  // A change was reported for `path`; unknown paths are ignored.
  void notify(std::string_view path);
  // Every open file may have data (poll tick, rescan); `closed_too`: every file (change
  // notifications were lost -- an inotify overflow).
  void mark_all(bool closed_too = false);
  bool has_draining() const;
  size_t files() const { return readers_.size(); }
  size_t open_files() const;
  // Shared with the Discovery of this input (its pins hold units too).
  OpenBudget& budget() { return budget_; }

 private:
  struct Tracked {
    std::unique_ptr<FileReader> reader;
    std::string real_path;  // resolved path (symlinks), for change notifications
  };

  void reconcile(ReadEnv& env, std::vector<ScannedFile> found, ResumePlanner* resume,
                 std::vector<PinnedFile>* pinned = nullptr, bool at_start = false);
  void adopt(ReadEnv& env, std::vector<PinnedFile>& pinned, uint64_t scan_seq);
  bool follows(uint64_t dev, uint64_t ino) const;
  bool claim(ReadEnv& env, Tracked& t, const ScannedFile& f);
  bool lose(ReadEnv& env, Tracked& t, int64_t now);
  // `held`: f.fd holds a unit of budget_ already (a pin).
  void add(ReadEnv& env, OpenedFile f, uint64_t offset, bool draining, bool held);
  void add_found(ReadEnv& env, const ScannedFile& f, ResumePlanner* resume, bool at_start);
  void drain_moved(ReadEnv& env, const ScannedFile& f, ResumePlanner* resume, bool at_start);
  void follow_unopened(ReadEnv& env, const std::vector<ScannedFile>& found, ResumePlanner* resume,
                       bool at_start);
  bool try_reopen(ReadEnv& env, Tracked& t);
  void park_if_over_budget(FileReader& r);
  void drop(ReadEnv& env, size_t index);
  void enforce_caps(ReadEnv& env, int64_t now);
  void enforce_budget(ReadEnv& env, int64_t now);
  void open_failed(const std::string& path, int err);
  void refresh_index();
  // Something waits for the next rescan (a retry after an error, a file to open again): the next
  // scan discovery starts reaches the tracker, changed or not (Discovery::request_rescan()).
  void want_rescans();
  void retry_at_scan(FileReader& r);
  void update_gauges() const;
  std::string resolve(const std::string& path) const;

  TailSys& sys_;
  Discovery* discovery_ = nullptr;
  // The previous run's entries, consulted for every file found (a file that could not be opened
  // at start-up resumes at its offset when it can).
  std::optional<ResumePlanner> resume_;
  const TailOptions& options_;
  const PathScanner& scanner_;
  InotifyWatcher& watcher_;
  TailMetrics& metrics_;
  OpenBudget budget_;  // before readers_: they give their units back to it
  std::vector<Tracked> readers_;
  std::unordered_map<std::string, FileReader*> by_path_;
  bool index_stale_ = false;      // readers added, renamed or dropped since refresh_index()
  std::set<std::string> warned_;  // paths whose open error was logged
  std::map<std::string, int> unopened_;
  std::map<std::string, ScannedFile> unopened_at_;  // what the scan saw at each unopened path
  size_t next_ = 0;  // where the next read round starts (the last one ran out of time)
};

}  // namespace logagent::plugins::tail
