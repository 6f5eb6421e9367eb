#include "plugins/inputs/tail/discovery.h"

#include <errno.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "plugins/inputs/tail/file_reader.h"
#include "plugins/inputs/tail/fingerprint.h"

namespace logagent::plugins::tail {
DiscoveryUpdate& DiscoveryUpdate::operator=(DiscoveryUpdate&& o) noexcept {
  if (this != &o) {
    clear();
    scanned = std::exchange(o.scanned, false);
    scan = std::move(o.scan);
    scan_seq = o.scan_seq;
    pinned = std::move(o.pinned);
    changed = std::move(o.changed);
    gone_changed = std::move(o.gone_changed);
    mark_all = std::exchange(o.mark_all, false);
    budget = o.budget;
    sys = o.sys;
    o.scan.clear();
    o.pinned.clear();
    o.changed.clear();
    o.gone_changed.clear();
  }
  return *this;
}

void DiscoveryUpdate::clear() {
  for (PinnedFile& p : pinned) {
    if (p.file.fd < 0) continue;
    (sys != nullptr ? *sys : real_tail_sys()).close(std::exchange(p.file.fd, -1));
    if (budget != nullptr) budget->give();
  }
  pinned.clear();
  scan.clear();
  changed.clear();
  gone_changed.clear();
  scanned = false;
  mark_all = false;
}

Discovery::Discovery(const TailOptions& options, const PathScanner& scanner,
                     InotifyWatcher& watcher, TailMetrics& metrics, OpenBudget& budget,
                     std::string pipeline, TailSys& sys)
    : options_(options),
      scanner_(scanner),
      watcher_(watcher),
      metrics_(metrics),
      budget_(budget),
      pipeline_(std::move(pipeline)),
      sys_(sys),
      history_([this](const std::string& path) { return scanner_.matches(path); },
               [this](int64_t token) { close_token(token); },
               [this](int64_t token) { hand_over(token); },
               [this](int64_t old, int64_t token) { superseded(old, token); }),
      cache_(scanner) {}

Discovery::~Discovery() {
  stop();
  history_.clear();  // its tokens are closed through this object: while it is whole
  for (PinnedFile& p : pins_) {
    if (p.file.fd < 0) continue;
    sys_.close(p.file.fd);
    budget_.give();
  }
}

void Discovery::seed(const std::vector<FileIdentity>& known) {
  for (const FileIdentity& id : known) known_.insert({id.dev, id.ino});
}

void Discovery::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Discovery::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  watcher_.wake();
  thread_.join();
}

void Discovery::run(const std::stop_token& stop) {
  int64_t next_scan = 0;  // at once: what appeared since the tracker's first scan
  while (!stop.stop_requested()) {
    const int64_t now = sys_.mono_now_ns();
    int64_t wait_ms = next_scan <= now ? 0 : (next_scan - now + 999999) / 1000000;
    // Files opened outside the globs wait for a batch to confirm them: a short one.
    if (!unheld_.empty()) wait_ms = std::min<int64_t>(wait_ms, kConfirmWaitMs);
    const bool due = wait_ms == 0;
    if (step(static_cast<int>(std::min<int64_t>(wait_ms, 60'000)), due) || due) {
      next_scan = sys_.mono_now_ns() + ns(options_.scan_interval);
    }
  }
}

bool Discovery::step(int timeout_ms, bool force_scan) {
  const uint64_t overflows = watcher_.overflows();
  const bool structural = watcher_.wait(std::chrono::milliseconds(timeout_ms),
                                        [this](std::string_view path, uint32_t mask,
                                               uint32_t cookie) { on_event(path, mask, cookie); });
  if (watcher_.overflows() != overflows) {
    // Incomplete: the scan decides what is matched; what was opened outside the globs is read
    // (it may be all that is left of a rotated file).
    for (auto it = unheld_.begin(); it != unheld_.end();) hand_over((it++)->first);
    history_.clear();
    cache_.forget_all();
  }
  apply_identity_changes();
  history_.end_batch();
  report_lost();
  open_pending();
  const bool scanning = structural || force_scan;
  if (scanning) scan();
  publish();
  return scanning;
}

void Discovery::on_event(std::string_view path_view, uint32_t mask, uint32_t cookie) {
  const std::string path(path_view);
  cache_.event(path, mask);
  if ((mask & IN_CREATE) != 0) history_.created(path);
  if ((mask & IN_MOVED_FROM) != 0) history_.moved_from(path, cookie);
  if ((mask & IN_MOVED_TO) != 0) history_.moved_to(path, cookie);
  if ((mask & IN_DELETE) != 0) history_.deleted(path);
  if ((mask & (IN_DELETE | IN_MOVED_FROM)) != 0) changed_then_gone(path);
  if ((mask & (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)) != 0 && !mark_all_) {
    changed_.insert(path);
    if (changed_.size() > kMaxChanged) {
      changed_.clear();
      mark_all_ = true;
    }
  }
}

void Discovery::apply_identity_changes() {
  std::vector<std::pair<bool, FileIdentity>> changes;
  {
    std::lock_guard lock(mu_);
    changes.swap(identity_changes_);
  }
  for (const auto& [tracked, id] : changes) {
    const Key key{id.dev, id.ino};
    if (tracked) {
      known_.insert(key);
      done_.erase(key);
      continue;
    }
    known_.erase(key);
    forgotten_since_scan_ = true;  // a scan pins it again if it is still at a matched name
    done_.insert_or_assign(key, Done{id, ++done_seq_});
    done_order_.emplace_back(key, done_seq_);
    while (done_order_.size() > kMaxDone) {
      // Only a key's last forgetting counts (it may have been tracked or forgotten again since).
      const auto [oldest, seq] = done_order_.front();
      done_order_.pop_front();
      const auto it = done_.find(oldest);
      if (it != done_.end() && it->second.seq == seq) done_.erase(it);
    }
  }
}

bool Discovery::known_file(const OpenedFile& o) const {
  const Key key = key_of(o.st);
  if (known_.count(key) != 0) return true;
  const auto it = done_.find(key);
  return it != done_.end() && same_file(o.fd, o.st, it->second.id, sys_);
}

// The file at `path` changed and now leaves that name: its change is its own, not that of a file
// created there later (the tracker may be keeping it closed, and needs to know it has bytes).
void Discovery::changed_then_gone(const std::string& path) {
  if (changed_.erase(path) != 0) gone_changed_.insert(path);
  std::lock_guard lock(mu_);
  if (out_.changed.erase(path) != 0) out_.gone_changed.insert(path);
}

void Discovery::report_lost() {
  for (RenameHistory::Lost& l : history_.take_lost()) {
    bool gone = true;
    if (l.pin >= 0) {
      // Something was opened under its name: if that is the file that went (deleted: no links
      // left; moved away: it is still held), its bytes are read through the descriptor.
      struct stat st {};
      const bool is_it = sys_.fstat(static_cast<int>(l.pin), &st) == 0 && st.st_nlink == 0;
      gone = !(is_it || std::string_view(l.reason) == "moved_away");
      if (!gone) hand_over(l.pin);
      // An earlier open of the entry, gone as well, may be the file (opened before it moved).
      if (auto e = earlier_.find(l.pin); e != earlier_.end()) {
        for (int64_t t : e->second) {
          if (sys_.fstat(static_cast<int>(t), &st) == 0 && st.st_nlink == 0) hand_over(t);
        }
      }
      close_token(l.pin);
    }
    if (!gone) continue;
    metrics_.lost(l.reason).inc();
    if (l.path == l.first_path) {
      spdlog::warn("pipeline {}: tail: {} was {} before it could be opened: its bytes are lost",
                   pipeline_, l.path, l.reason);
    } else {
      spdlog::warn(
          "pipeline {}: tail: {} (created as {}) was {} before it could be opened: its bytes are "
          "lost",
          pipeline_, l.path, l.first_path, l.reason);
    }
  }
}

// A file under a matched name waits for room: a scan finds it there (and the tracker keeps it
// dormant). One under a name outside the globs -- rotated away before it was opened -- is
// reachable only through the history, and the next rotation may delete it: it is pinned
// whatever the budget says, to be drained and closed.
bool Discovery::take_unit(bool matched) {
  if (matched) return budget_.try_take();
  budget_.take();
  return true;
}

// A token for RenameHistory: a duplicate descriptor of what was opened, so that a later report
// of the name's loss can be checked against the file itself (st_nlink). A descriptor like any
// other, it holds a unit of budget_ (-1: no room, or the dup failed).
int64_t Discovery::token_for(int fd, bool matched) {
  if (!take_unit(matched)) return -1;
  const int token = sys_.dup_cloexec(fd);
  if (token < 0) {
    budget_.give();
    return -1;
  }
  tokens_.fetch_add(1, std::memory_order_relaxed);
  return token;
}

void Discovery::close_token(int64_t token) {
  if (token < 0) return;
  unheld_.erase(token);
  if (auto e = earlier_.find(token); e != earlier_.end()) {
    std::vector<int64_t> earlier = std::move(e->second);
    earlier_.erase(e);
    for (int64_t t : earlier) close_token(t);
  }
  sys_.close(static_cast<int>(token));
  tokens_.fetch_sub(1, std::memory_order_relaxed);
  budget_.give();
}

void Discovery::superseded(int64_t old, int64_t token) {
  std::vector<int64_t> kept;
  if (auto e = earlier_.find(old); e != earlier_.end()) {
    kept = std::move(e->second);
    earlier_.erase(e);
  }
  if (unheld_.count(old) != 0) {
    kept.push_back(old);
  } else {
    close_token(old);
  }
  if (kept.empty()) return;
  if (kept.size() > kMaxEarlier) {
    const int64_t oldest = kept.front();
    kept.erase(kept.begin());
    close_token(oldest);
  }
  earlier_[token] = std::move(kept);
}

void Discovery::hand_over(int64_t token) {
  auto it = unheld_.find(token);
  if (it == unheld_.end()) return;
  std::string path = std::move(it->second);
  unheld_.erase(it);
  OpenedFile o;
  o.path = std::move(path);
  if (sys_.fstat(static_cast<int>(token), &o.st) != 0) {
    spdlog::warn("pipeline {}: tail: cannot examine {} to read it: {}", pipeline_, o.path,
                 ::strerror(errno));
    return;
  }
  if (known_file(o)) return;
  o.fd = sys_.dup_cloexec(static_cast<int>(token));
  if (o.fd < 0) {
    spdlog::warn("pipeline {}: tail: cannot keep {} open to read it: {}", pipeline_, o.path,
                 ::strerror(errno));
    return;
  }
  budget_.take();  // outside the globs: reachable through this descriptor only
  pin(std::move(o), /*matched=*/false);
}

void Discovery::pin(OpenedFile f, bool matched) {
  known_.insert(key_of(f.st));
  warned_.erase(f.path);
  pins_.push_back({std::move(f), matched, ++seq_});
}

void Discovery::open_pending() {
  for (const std::string& path : history_.to_open()) {
    OpenedFile o = open_file(path, sys_);
    if (o.fd < 0) {
      // ENOENT: renamed or deleted by an event not read yet; the next batch says where it went.
      if (o.err != ENOENT && warned_.insert(path).second) {
        spdlog::warn("pipeline {}: tail: cannot open {}: {}; retrying", pipeline_, path,
                     ::strerror(o.err));
      }
      continue;
    }
    const bool known = known_file(o);
    const bool matched = scanner_.matches(path);
    // Under a name outside the globs the name may hold another file by now (a copy, a later
    // generation): read only once the history confirms it (or its loss says it may be the one).
    const bool pin_now = !known && matched;
    // Its pin (when made now) and its token each hold a unit; over max_open_files: tried again
    // at the next step.
    if (pin_now && !take_unit(matched)) {
      sys_.close(o.fd);
      continue;
    }
    const int64_t token = token_for(o.fd, matched);
    if (token < 0) {
      if (pin_now) budget_.give();
      sys_.close(o.fd);
      continue;
    }
    if (!known && !matched) unheld_.emplace(token, path);
    history_.opened(path, token);
    if (pin_now) {
      pin(std::move(o), matched);
    } else {
      sys_.close(o.fd);
    }
  }
}

void Discovery::scan() {
  metrics_.rescans.inc();
  for (const std::string& dir : scanner_.watch_dirs()) watcher_.watch(dir);
  const int64_t now = sys_.mono_now_ns();
  if (now >= next_full_scan_) {
    cache_.forget_all();
    next_full_scan_ = now + kFullScanIntervals * ns(options_.scan_interval);
  }
  const uint64_t requests = rescan_requests_.load(std::memory_order_acquire);
  last_refresh_ = cache_.refresh(
      [this](const std::string& dir, const struct stat& st) { return watcher_.verify(dir, st); });
  // Nothing the tracker follows files by changed, and inotify reports their changes: the tracker
  // has nothing to learn from this scan (an idle agent with 10,000 files no longer stats them all
  // every interval, nor reconciles them).
  last_scan_published_ = last_refresh_.changed || last_refresh_.uncovered ||
                         forgotten_since_scan_ || requests != rescan_requests_served_;
  if (!last_scan_published_) return;
  rescan_requests_served_ = requests;
  forgotten_since_scan_ = false;
  std::vector<ScannedFile> found = cache_.files();
  // Files opened under a listed name that held a newer file by then (a rotation between the
  // listing and the open): they are at a matched name, but not in this scan. Pinned after it, so
  // that the tracker follows them rather than taking them for files that left the globs (drained,
  // then closed while still written to).
  std::vector<OpenedFile> newer;
  for (const ScannedFile& f : found) {
    if (known_.count(key_of(f.st)) != 0 || !budget_.room()) continue;
    OpenedFile o = open_file(f.path, sys_);
    if (o.fd < 0) continue;  // the tracker reports it (open errors) when it tries
    if (key_of(o.st) != key_of(f.st)) {
      // Rotated between the scan and the open: the name holds a newer file now, and the one
      // scanned lives on under another name in its directory.
      OpenedFile moved = find_by_identity(
          dir_name(f.path), inode_identity(key_of(f.st).first, key_of(f.st).second), sys_);
      const bool matched = moved.fd >= 0 && scanner_.matches(moved.path);
      if (moved.fd >= 0 && known_.count(key_of(moved.st)) == 0 && take_unit(matched)) {
        pin(std::move(moved), matched);
      } else if (moved.fd >= 0) {
        sys_.close(moved.fd);
      }
    }
    if (known_.count(key_of(o.st)) != 0 || !budget_.try_take()) {
      sys_.close(o.fd);
      continue;
    }
    const int64_t token = token_for(o.fd, /*matched=*/true);
    if (token < 0) {
      budget_.give();
      sys_.close(o.fd);
      continue;
    }
    history_.pinned_at(f.path, token);
    if (key_of(o.st) != key_of(f.st)) {
      known_.insert(key_of(o.st));
      newer.push_back(std::move(o));
    } else {
      pin(std::move(o), true);
    }
  }
  scan_ = std::move(found);
  scan_seq_ = ++seq_;
  scanned_ = true;
  for (OpenedFile& o : newer) pin(std::move(o), true);
}

void Discovery::publish() {
  if (pins_.empty() && changed_.empty() && gone_changed_.empty() && !mark_all_ && !scanned_) {
    return;
  }
  {
    std::lock_guard lock(mu_);
    for (PinnedFile& p : pins_) out_.pinned.push_back(std::move(p));
    out_.budget = &budget_;
    out_.sys = &sys_;
    out_.gone_changed.merge(gone_changed_);
    if (out_.gone_changed.size() > kMaxChanged) {  // the tracker then takes every file as changed
      out_.gone_changed.clear();
      out_.mark_all = true;
    }
    if (mark_all_ || out_.mark_all) {
      out_.mark_all = true;
      out_.changed.clear();
    } else {
      out_.changed.merge(changed_);
      if (out_.changed.size() > kMaxChanged) {
        out_.changed.clear();
        out_.mark_all = true;
      }
    }
    if (scanned_) {
      out_.scan = std::move(scan_);
      out_.scan_seq = scan_seq_;
      out_.scanned = true;
    }
  }
  pins_.clear();
  changed_.clear();
  gone_changed_.clear();
  mark_all_ = false;
  scanned_ = false;
  scan_.clear();
  cv_.notify_one();
}

void Discovery::take(DiscoveryUpdate* out) {
  std::lock_guard lock(mu_);
  *out = std::move(out_);
  woken_ = false;
}

void Discovery::wait(int64_t until_ns, DiscoveryUpdate* out) {
  {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(until_ns));
    cv_.wait_until(lock, deadline, [this] { return woken_ || !out_.empty(); });
  }
  take(out);
}

void Discovery::wake_reader() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Discovery::tracked(const FileIdentity& id) {
  std::lock_guard lock(mu_);
  identity_changes_.emplace_back(true, id);
}

void Discovery::forgotten(const FileIdentity& id) {
  std::lock_guard lock(mu_);
  identity_changes_.emplace_back(false, id);
}

}  // namespace logagent::plugins::tail
