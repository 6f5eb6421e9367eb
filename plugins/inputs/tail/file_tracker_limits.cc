// FileTracker: maintenance between scans -- drained files closed, the limits on what it keeps
// open (deleted-file caps, the open-files budget) -- the change-notification index, and its
// gauges.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "plugins/inputs/tail/file_tracker.h"

namespace logagent::plugins::tail {

void FileTracker::maintain(ReadEnv& env, int64_t now) {
  for (size_t k = readers_.size(); k-- > 0;) {
    FileReader& r = *readers_[k].reader;
    if (!r.draining()) continue;
    bool error = false;
    const bool has_data = r.open() && r.sync(env, &error);
    if (has_data) continue;  // the read rounds finish it first
    if (error && now - r.drain_since() < ns(options_.deleted_max_age)) {
      continue;  // it could not be examined (counted): tried again at the next maintain()
    }
    if (error) {
      spdlog::warn("tail: {} could not be read to its end within deleted_max_age; letting it go",
                   r.path());
    }
    if (!error && r.open() && !env.once && now - r.drain_since() < ns(options_.scan_interval)) {
      continue;  // grace: a writer may still append before it reopens the new file
    }
    if (!error && r.open() && r.offset() < r.size()) {
      ReadEnv last = env;  // a final line without '\n' is emitted, flagged: its writer is gone
      last.once = true;
      last.once_emit_partial = true;
      if (r.turn(last) == TurnEnd::kStopped) return;
    }
    spdlog::debug("tail: {} drained; closing it", r.path());
    drop(env, k);
  }
  enforce_caps(env, now);
  enforce_budget(env, now);
  // Nothing was renamed here; rebuilt only when a reader went (10,000 paths each interval cost an
  // idle agent more than everything else it did).
  if (index_stale_) refresh_index();
  update_gauges();
}

void FileTracker::finish_drains(ReadEnv& env) { maintain(env, sys_.mono_now_ns()); }

void FileTracker::enforce_caps(ReadEnv& env, int64_t now) {
  now = std::max(now, sys_.mono_now_ns());  // deletions may have been seen after `now` was taken
  std::vector<FileReader*> deleted;
  uint64_t pinned = 0;
  for (const Tracked& t : readers_) {
    FileReader& r = *t.reader;
    if (!r.open() || !r.deleted() || r.unread() == 0) continue;
    deleted.push_back(&r);
    pinned += r.unread();
  }
  if (deleted.empty()) return;
  std::sort(deleted.begin(), deleted.end(), [](const FileReader* a, const FileReader* b) {
    return a->deleted_since() < b->deleted_since();
  });
  std::vector<const FileReader*> doomed;
  for (FileReader* r : deleted) {
    const uint64_t unread = r->unread();
    const bool too_old = now - r->deleted_since() >= ns(options_.deleted_max_age);
    if (!too_old && pinned <= options_.deleted_max_pinned.bytes) continue;
    const char* reason = too_old ? "deleted_age_cap" : "deleted_pinned_cap";
    (too_old ? metrics_.abandoned_age_cap : metrics_.abandoned_pinned_cap)
        .add(static_cast<double>(unread));
    spdlog::warn("tail: abandoning {} unread bytes of deleted file {} ({})", unread, r->path(),
                 reason);
    pinned -= unread;
    doomed.push_back(r);
  }
  for (const FileReader* r : doomed) {
    for (size_t k = 0; k < readers_.size(); ++k) {
      if (readers_[k].reader.get() == r) {
        drop(env, k);
        break;
      }
    }
  }
}

void FileTracker::enforce_budget(ReadEnv& env, int64_t now) {
  if (!budget_.over()) return;
  std::vector<FileReader*> idle;
  for (const Tracked& t : readers_) {
    FileReader& r = *t.reader;
    if (r.open() && !r.draining() && r.at_eof() &&
        now - r.last_active() >= ns(options_.idle_close_after)) {
      idle.push_back(&r);
    }
  }
  std::sort(idle.begin(), idle.end(), [](const FileReader* a, const FileReader* b) {
    return a->last_active() < b->last_active();
  });
  for (FileReader* r : idle) {
    if (!budget_.over()) break;
    if (r->sync(env)) continue;  // it grew since it was last read: read it first
    r->close();
    // Nothing is pending (a mark from the last rescan must not reopen it at once): a rescan
    // that finds it changed, or a change notification, reopens it.
    r->maybe_data = false;
    metrics_.files_closed_idle.inc();
  }
}

void FileTracker::notify(std::string_view path) {
  auto it = by_path_.find(std::string(path));
  if (it != by_path_.end()) it->second->maybe_data = true;
}

void FileTracker::mark_all(bool closed_too) {
  // Not the dormant ones, unless notifications were lost: reopening them on a hunch would undo
  // the open-files budget at every scan. A rescan's claim() reopens those whose size or mtime
  // changed; notify() marks them.
  for (Tracked& t : readers_) {
    if (closed_too || t.reader->open()) t.reader->maybe_data = true;
  }
}

bool FileTracker::has_draining() const {
  return std::any_of(readers_.begin(), readers_.end(),
                     [](const Tracked& t) { return t.reader->draining(); });
}

size_t FileTracker::open_files() const {
  return static_cast<size_t>(std::count_if(readers_.begin(), readers_.end(),
                                           [](const Tracked& t) { return t.reader->open(); }));
}

void FileTracker::refresh_index() {
  index_stale_ = false;
  by_path_.clear();
  for (Tracked& t : readers_) {
    FileReader* r = t.reader.get();
    if (r->draining()) continue;
    by_path_[r->path()] = r;
    by_path_[t.real_path] = r;
    watcher_.watch(dir_name(t.real_path));
  }
}

void FileTracker::update_gauges() const {
  const size_t open = open_files();
  metrics_.files_open.set(static_cast<double>(open));
  metrics_.files_watched.set(static_cast<double>(readers_.size()));
}

}  // namespace logagent::plugins::tail
