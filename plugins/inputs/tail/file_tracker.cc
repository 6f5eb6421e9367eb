// FileTracker: following the globs -- start-up, rescans and discovery's updates reconciled by
// identity; files adopted, renamed, drained or dropped.
#include "plugins/inputs/tail/file_tracker.h"

#include <errno.h>
#include <limits.h>
#include <spdlog/spdlog.h>
#include <string.h>

#include <algorithm>
#include <map>
#include <utility>

#include "plugins/inputs/tail/fingerprint.h"

namespace logagent::plugins::tail {

std::string FileTracker::resolve(const std::string& path) const {
  char buf[PATH_MAX];
  return sys_.realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

FileTracker::FileTracker(const TailOptions& options, const PathScanner& scanner,
                         InotifyWatcher& watcher, TailMetrics& metrics, TailSys& sys)
    : sys_(sys),
      options_(options),
      scanner_(scanner),
      watcher_(watcher),
      metrics_(metrics),
      budget_(options.max_open_files) {}

void FileTracker::start(ReadEnv& env) {
  resume_.emplace(env.ctx.saved_checkpoints(), options_.from_tail(), sys_);
  for (const std::string& dir : scanner_.watch_dirs()) watcher_.watch(dir);
  reconcile(env, scanner_.scan(), &*resume_, nullptr, /*at_start=*/true);
  for (ResumePlanner::Rotated& r : resume_->find_rotated()) {
    if (r.truncated) metrics_.truncations.inc();
    add(env, std::move(r.file), r.offset, /*draining=*/true, /*held=*/false);
  }
  // read_from: tail chose start points a restart would not choose again (the file has grown by
  // then): they are written before the first line is read, so that a restart before the first
  // acknowledgement -- a kill -9 included -- resumes there rather than skipping, uncounted, what
  // was written in between.
  if (resume_->tail_starts() > 0 && !env.ctx.save_checkpoint()) {
    spdlog::warn(
        "tail: the read_from: tail start points could not be checkpointed before reading (they "
        "are at the next checkpoint write); a crash before then starts again at the end");
  }
  refresh_index();
  update_gauges();
}

void FileTracker::rescan(ReadEnv& env) {
  metrics_.rescans.inc();
  for (const std::string& dir : scanner_.watch_dirs()) watcher_.watch(dir);
  reconcile(env, scanner_.scan(), resume_ ? &*resume_ : nullptr);
  refresh_index();
  mark_all();
  update_gauges();
}

void FileTracker::apply(ReadEnv& env, DiscoveryUpdate& update) {
  // Before the scan: a file kept closed (over max_open_files) that changed and is gone from the
  // scan is known to have had bytes it could not read (lose()).
  for (const std::string& path : update.gone_changed) notify(path);
  if (update.mark_all) mark_all(/*closed_too=*/true);
  if (update.scanned) {
    metrics_.rescans.inc();
    reconcile(env, std::move(update.scan), resume_ ? &*resume_ : nullptr, &update.pinned);
  }
  adopt(env, update.pinned, update.scanned ? update.scan_seq : 0);
  // Only changes named (a line appended): the index is as it was, and rebuilding it for 10,000
  // files would stand between that line and its read.
  if (index_stale_) refresh_index();
  if (update.scanned || update.mark_all) mark_all(/*closed_too=*/update.mark_all);
  // Named changes count with a scan too: its stat of a file kept closed may predate them (a scan
  // and a later change merged into one update), and no later rescan would tell, since one that
  // changes nothing but sizes stays in discovery.
  for (const std::string& path : update.changed) notify(path);
  update_gauges();
  update.clear();
  // Files it could not open are tried again at each scan: it asks for the next one.
  if (!unopened_.empty() || !unopened_at_.empty()) want_rescans();
}

// Pins that no scan entry claimed: files discovery opened that have left the globs (rotated
// out, deleted) or that the last scan predates.
void FileTracker::adopt(ReadEnv& env, std::vector<PinnedFile>& pinned, uint64_t scan_seq) {
  for (PinnedFile& p : pinned) {
    if (p.file.fd < 0) continue;
    if (follows(static_cast<uint64_t>(p.file.st.st_dev), static_cast<uint64_t>(p.file.st.st_ino))) {
      sys_.close(std::exchange(p.file.fd, -1));  // followed already (found by a scan of ours)
      budget_.give();
      continue;
    }
    // Made before the scan and not in it: it left the globs. Made after it: as it was then.
    const bool draining = p.seq < scan_seq || !p.matched;
    if (draining) {
      spdlog::info("tail: {} left the matched names before it was read; reading it to its end",
                   p.file.path);
    }
    OpenedFile f = std::move(p.file);
    p.file.fd = -1;
    const uint64_t offset = resume_ ? resume_->start_for(f, false).offset : 0;
    add(env, std::move(f), offset, draining, /*held=*/true);
  }
}

bool FileTracker::follows(uint64_t dev, uint64_t ino) const {
  return std::any_of(readers_.begin(), readers_.end(), [&](const Tracked& t) {
    return t.reader->identity().dev == dev && t.reader->identity().ino == ino;
  });
}

std::vector<FileIdentity> FileTracker::identities() const {
  std::vector<FileIdentity> out;
  out.reserve(readers_.size());
  for (const Tracked& t : readers_) out.push_back(t.reader->identity());
  return out;
}

void FileTracker::reconcile(ReadEnv& env, std::vector<ScannedFile> found, ResumePlanner* resume,
                            std::vector<PinnedFile>* pinned, bool at_start) {
  index_stale_ = true;  // files renamed, added, dropped
  std::map<std::pair<uint64_t, uint64_t>, size_t> by_ino;
  for (size_t i = 0; i < found.size(); ++i) {
    by_ino[{static_cast<uint64_t>(found[i].st.st_dev), static_cast<uint64_t>(found[i].st.st_ino)}] =
        i;
  }
  std::vector<bool> claimed(found.size(), false);
  const int64_t now = sys_.mono_now_ns();
  for (size_t k = 0; k < readers_.size();) {
    FileReader& r = *readers_[k].reader;
    auto it = by_ino.find({r.identity().dev, r.identity().ino});
    if (r.draining()) {
      // A drained file that is matched again (renamed back, or into the globs) is followed
      // again rather than read a second time as a new file.
      if (it != by_ino.end() && !claimed[it->second] && r.open()) {
        claimed[it->second] = true;
        r.attach();
        if (r.path() != found[it->second].path) r.rename(env.ctx.sources(), found[it->second].path);
        readers_[k].real_path = resolve(r.path());
      }
      ++k;
      continue;
    }
    if (it != by_ino.end() && !claimed[it->second] && claim(env, readers_[k], found[it->second])) {
      claimed[it->second] = true;
      ++k;
    } else if (lose(env, readers_[k], now)) {
      ++k;
    } else {
      drop(env, k);
    }
  }
  follow_unopened(env, found, resume, at_start);
  std::map<std::pair<uint64_t, uint64_t>, PinnedFile*> pins;
  if (pinned != nullptr) {
    for (PinnedFile& p : *pinned) {
      pins[{static_cast<uint64_t>(p.file.st.st_dev), static_cast<uint64_t>(p.file.st.st_ino)}] = &p;
    }
  }
  for (size_t i = 0; i < found.size(); ++i) {
    if (claimed[i]) continue;
    auto p = pins.find(
        {static_cast<uint64_t>(found[i].st.st_dev), static_cast<uint64_t>(found[i].st.st_ino)});
    if (p != pins.end() && p->second->file.fd >= 0) {
      OpenedFile f = std::move(p->second->file);
      p->second->file.fd = -1;
      f.path = found[i].path;
      const uint64_t offset = resume != nullptr ? resume->start_for(f, at_start).offset : 0;
      add(env, std::move(f), offset, /*draining=*/false, /*held=*/true);
    } else {
      add_found(env, found[i], resume, at_start);
    }
  }
}

// `f` has the inode of followed file `t`: is it still that file?
bool FileTracker::claim(ReadEnv& env, Tracked& t, const ScannedFile& f) {
  FileReader& r = *t.reader;
  const bool moved = f.path != r.path();
  if (!r.open()) {
    // Idle-closed: reopen when it changed (size or mtime: a file created again with the same
    // inode and size is told by its mtime) or moved, after checking it is the same file.
    if (!moved && r.unchanged(f.st)) return true;
    OpenedFile o = open_file(f.path, sys_);
    if (o.fd < 0) {
      open_failed(f.path, o.err);
      return true;
    }
    if (!same_file(o.fd, o.st, r.identity(), sys_)) {
      sys_.close(o.fd);
      return false;  // the inode was reused by another file
    }
    if (budget_.try_take()) {
      r.reopen(o.fd);
    } else {
      sys_.close(o.fd);  // no room: read_round() opens it to read it, then closes it again
      r.maybe_data = true;
    }
  }
  if (moved) {
    spdlog::info("tail: {} was renamed to {}; following it", r.path(), f.path);
    metrics_.rotations.inc();
    r.rename(env.ctx.sources(), f.path);
    t.real_path = resolve(f.path);
  }
  return true;
}

// Followed file `t` is no longer among the matches: drain it (false: drop it now).
bool FileTracker::lose(ReadEnv& env, Tracked& t, int64_t now) {
  FileReader& r = *t.reader;
  if (!r.open()) {
    // Closed, it holds no inode: another file may have been given its number since (say
    // logrotate's copy). Its birth time tells them apart, even when it was truncated meanwhile;
    // without one, an empty file's identity (no fingerprint) cannot.
    const FileIdentity& id = r.identity();
    OpenedFile o = id.birth == 0 && id.fp_len == 0 ? OpenedFile{}
                                                   : find_by_identity(dir_name(r.path()), id, sys_);
    if (o.fd < 0) {
      if (!r.maybe_data) {
        spdlog::info("tail: {} disappeared while closed (idle)", r.path());
        return false;
      }
      // Closed over max_open_files, it changed, and it was gone before it could be reopened.
      metrics_.lost("deleted").inc();
      spdlog::warn(
          "tail: {} changed while closed (over max_open_files) and was gone before it could be "
          "reopened: the bytes it gained since are lost",
          r.path());
      return false;
    }
    budget_.take();  // a file to drain stays open: it may have no name left to reopen it by
    r.reopen(o.fd);
    if (o.path != r.path()) r.rename(env.ctx.sources(), o.path);
  }
  spdlog::info("tail: {} was rotated or removed; reading the old file to its end", r.path());
  metrics_.rotations.inc();
  r.detach(now);
  return true;
}

void FileTracker::add_found(ReadEnv& env, const ScannedFile& f, ResumePlanner* resume,
                            bool at_start) {
  OpenedFile o = open_file(f.path, sys_);
  if (o.fd < 0) {
    open_failed(f.path, o.err);
    if (o.err != ENOENT) unopened_at_.insert_or_assign(f.path, f);
    return;
  }
  if (o.st.st_dev != f.st.st_dev || o.st.st_ino != f.st.st_ino) {
    // Renamed or replaced between the scan and the open (rotation): the path now names another
    // file (the next scan sees it).
    sys_.close(o.fd);
    drain_moved(env, f, resume, at_start);
    return;
  }
  warned_.erase(f.path);
  StartPoint sp;  // files appearing while running start at 0, unless an entry claims them
  if (resume != nullptr) sp = resume->start_for(o, at_start);
  if (sp.resumed && !at_start) {
    spdlog::info("tail: {} can be read now; resuming it at its checkpoint ({})", f.path, sp.offset);
  }
  if (sp.truncated_while_down) {
    spdlog::info("tail: {} was truncated while stopped; reading it from the start", f.path);
    metrics_.truncations.inc();
  }
  add(env, std::move(o), sp.offset, /*draining=*/false, /*held=*/false);
}

// The file `f` scanned lives on under another name -- maybe one outside the globs, which no scan
// would report: it is found by identity among its siblings and read to its end.
void FileTracker::drain_moved(ReadEnv& env, const ScannedFile& f, ResumePlanner* resume,
                              bool at_start) {
  const auto dev = static_cast<uint64_t>(f.st.st_dev);
  const auto ino = static_cast<uint64_t>(f.st.st_ino);
  if (follows(dev, ino)) return;
  OpenedFile moved = find_by_identity(dir_name(f.path), inode_identity(dev, ino), sys_);
  if (moved.fd < 0) return;
  StartPoint sp;
  if (resume != nullptr) sp = resume->start_for(moved, at_start);
  spdlog::info("tail: {} was rotated to {} before it was opened; reading it to its end", f.path,
               moved.path);
  add(env, std::move(moved), sp.offset, /*draining=*/true, /*held=*/false);
}

// Files a scan matched that could not be opened (EMFILE, EACCES): tried again at each scan while
// their name holds them; once it does not (rotated away before a retry), found under their new
// name like a file renamed between a scan and its open.
void FileTracker::follow_unopened(ReadEnv& env, const std::vector<ScannedFile>& found,
                                  ResumePlanner* resume, bool at_start) {
  for (auto it = unopened_at_.begin(); it != unopened_at_.end();) {
    const ScannedFile& was = it->second;
    const auto at = std::find_if(found.begin(), found.end(), [&](const ScannedFile& f) {
      return f.st.st_dev == was.st.st_dev && f.st.st_ino == was.st.st_ino;
    });
    if (at != found.end() && at->path == was.path) {
      ++it;  // still there: this scan tries it again
      continue;
    }
    if (at == found.end()) drain_moved(env, was, resume, at_start);  // else: found as matched
    it = unopened_at_.erase(it);
  }
}

void FileTracker::add(ReadEnv& env, OpenedFile f, uint64_t offset, bool draining, bool held) {
  index_stale_ = true;
  unopened_.erase(f.path);
  unopened_at_.erase(f.path);
  const FileIdentity id = identify(f.fd, f.st, sys_);
  auto state = env.ctx.sources().open(id, f.path, offset);
  if (discovery_ != nullptr) discovery_->tracked(id);
  Tracked t;
  t.real_path = resolve(f.path);
  if (!held && !budget_.try_take()) {
    // Over max_open_files: dormant (marked, so read_round() opens it to read it), unless it is to
    // be drained -- always open: it may have no name left to reopen it by.
    if (draining) {
      budget_.take();
    } else {
      sys_.close(std::exchange(f.fd, -1));
    }
  }
  t.reader =
      std::make_unique<FileReader>(f.fd, f.path, id, offset, std::move(state), &budget_, sys_);
  if (draining) t.reader->detach(sys_.mono_now_ns());
  readers_.push_back(std::move(t));
}

void FileTracker::open_failed(const std::string& path, int err) {
  if (err == ENOENT) return;  // gone between the scan and the open
  unopened_[path] = err;
  metrics_.open_errors.inc();
  if (warned_.insert(path).second) {
    spdlog::warn("tail: cannot open {}: {}; retrying at each scan", path, ::strerror(err));
  }
}

void FileTracker::drop(ReadEnv& env, size_t index) {
  if (discovery_ != nullptr) discovery_->forgotten(readers_[index].reader->identity());
  env.ctx.sources().forget(*readers_[index].reader->state());
  readers_.erase(readers_.begin() + static_cast<std::ptrdiff_t>(index));
  index_stale_ = true;  // by_path_ points at it
}

}  // namespace logagent::plugins::tail
