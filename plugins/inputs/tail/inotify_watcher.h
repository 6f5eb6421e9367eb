// InotifyWatcher: tells the input which files changed and when a rescan is due, or falls back to
// polling when inotify is unavailable.
//
// It watches directories (those the globs live in and those holding the files being followed)
// for IN_CREATE|IN_MOVED_TO|IN_MOVED_FROM|IN_DELETE|IN_MODIFY|IN_CLOSE_WRITE|IN_ATTRIB on a
// non-blocking inotify fd. wait() polls that fd and an eventfd used by wake() (so a stop request
// ends a wait at once). If inotify_init1 or inotify_add_watch hits a limit (ENOSPC, EMFILE,
// ENOMEM), a warning is logged once and polling() becomes true: the caller then checks every
// file each poll_interval. IN_Q_OVERFLOW asks for a full rescan.
//
// Threads: wait() on one thread (the discovery thread, or the input thread with --once and in
// tests); watch(), wake(), polling() and overflows() from any thread.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace logagent::plugins::tail {

class InotifyWatcher {
 public:
  // Called with the changed entry's path (dir + "/" + name), the inotify mask and the cookie
  // that pairs IN_MOVED_FROM with IN_MOVED_TO, in the order the kernel queued the events.
  using OnChange = std::function<void(std::string_view path, uint32_t mask, uint32_t cookie)>;

  // `use_inotify` false starts in polling mode (tests, --once).
  explicit InotifyWatcher(bool use_inotify = true);
  ~InotifyWatcher();
  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;

  // True when changes are not reported and files must be polled.
  bool polling() const { return polling_.load(std::memory_order_relaxed); }
  // IN_Q_OVERFLOW events seen (each one asked for a full rescan).
  uint64_t overflows() const { return overflows_.load(std::memory_order_relaxed); }
  // Watches `dir` (no-op when already watched or polling). A missing directory is retried by
  // the next call; a limit switches to polling.
  void watch(const std::string& dir);
  size_t watched_dirs() const {
    std::lock_guard lock(mu_);
    return dirs_.size();
  }
  // A number naming the watch through which every change to the entries of directory `dir`
  // has been reported since it was given, or 0 when changes may go unreported: `dir` is not
  // watched (not yet, polling, removed or renamed since: IN_IGNORED, IN_MOVE_SELF), it is watched
  // under another name (two paths of one directory share a watch, whose events carry the first
  // name), it lives on a file system whose changes may not all be made by this host (NFS, FUSE,
  // CIFS, overlay...: only ext2/3/4, xfs, btrfs, tmpfs, f2fs and zfs are trusted), or the name
  // holds another directory than the watched one now (`st`, its stat now: a symlink re-pointed, a
  // directory replaced) -- then the watch is dropped, for the next watch() to watch what is there.
  // A new watch gets a new number: what was learnt through an earlier one is never taken as
  // current.
  uint64_t verify(const std::string& dir, const struct stat& st);
  // Makes the current or next wait() return at once. Thread-safe.
  void wake();

  // Waits up to `timeout` for changes or wake(); reports each change to `on_change`. Returns
  // true when a full rescan is needed (queue overflow, or an entry was created, moved or
  // deleted).
  bool wait(std::chrono::milliseconds timeout, const OnChange& on_change);

  static constexpr uint32_t kStructuralMask = 0x00000100 | 0x00000080 | 0x00000040 | 0x00000200;

 private:
  bool drain(const OnChange& on_change);
  void fall_back(const char* what, int err);

  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> polling_{false};
  std::atomic<uint64_t> overflows_{0};
  struct Watch {
    int wd = -1;
    uint64_t id = 0;  // 0: its events may be incomplete (see verify())
    uint64_t dev = 0;
    uint64_t ino = 0;  // the directory watched
  };
  mutable std::mutex mu_;              // dirs_, wds_, next_id_
  std::map<std::string, Watch> dirs_;  // watched dir → its watch
  std::map<int, std::string> wds_;     // wd → dir (the first name it was given under)
  uint64_t next_id_ = 1;
  std::vector<char> buf_;
};

}  // namespace logagent::plugins::tail
