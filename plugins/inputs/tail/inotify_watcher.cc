#include "plugins/inputs/tail/inotify_watcher.h"

#include <errno.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace logagent::plugins::tail {

namespace {
// IN_MOVE_SELF: a watch follows its directory's inode, so a directory renamed away would go on
// reporting its changes under the old name, and a new directory made there would not be watched.
constexpr uint32_t kWatchMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY |
                                IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVE_SELF;

// File systems whose every change is made by this host's kernel, so inotify reports it.
bool local_file_system(const std::string& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) return false;
  switch (static_cast<uint64_t>(fs.f_type)) {
    case 0xEF53:      // ext2, ext3, ext4
    case 0x58465342:  // xfs
    case 0x9123683E:  // btrfs
    case 0x01021994:  // tmpfs
    case 0xF2F52010:  // f2fs
    case 0x2FC12FC1:  // zfs
      return true;
    default:
      return false;
  }
}
static_assert(InotifyWatcher::kStructuralMask ==
              (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE));
}  // namespace

InotifyWatcher::InotifyWatcher(bool use_inotify) : buf_(64 * 1024) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!use_inotify) {
    polling_ = true;
    return;
  }
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) fall_back("inotify_init1", errno);
}

InotifyWatcher::~InotifyWatcher() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void InotifyWatcher::fall_back(const char* what, int err) {
  if (!polling_.exchange(true)) {
    spdlog::warn("tail: {} failed: {}; falling back to polling files", what, ::strerror(err));
  }
}

void InotifyWatcher::watch(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (polling_ || inotify_fd_ < 0 || dirs_.count(dir) != 0) return;
  struct stat before {};
  const bool known = ::stat(dir.c_str(), &before) == 0;
  const int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kWatchMask);
  if (wd < 0) {
    if (errno == ENOSPC || errno == EMFILE || errno == ENOMEM)
      fall_back("inotify_add_watch", errno);
    return;  // ENOENT, EACCES, ENOTDIR: retried at the next scan
  }
  // Two paths of one directory (symlinks) share a wd: keep the first name for it.
  const bool first = wds_.emplace(wd, dir).second;
  // The directory watched is the one the name held before and after the watch was added.
  struct stat after {};
  const bool same = known && ::stat(dir.c_str(), &after) == 0 && after.st_dev == before.st_dev &&
                    after.st_ino == before.st_ino;
  dirs_[dir] = Watch{wd, first && same && local_file_system(dir) ? next_id_++ : 0,
                     static_cast<uint64_t>(before.st_dev), static_cast<uint64_t>(before.st_ino)};
}

uint64_t InotifyWatcher::verify(const std::string& dir, const struct stat& st) {
  std::lock_guard lock(mu_);
  if (polling_) return 0;
  const auto it = dirs_.find(dir);
  if (it == dirs_.end()) return 0;
  const Watch w = it->second;
  if (w.dev != static_cast<uint64_t>(st.st_dev) || w.ino != static_cast<uint64_t>(st.st_ino)) {
    // The name holds another directory now: its watch reports changes of the one it held.
    ::inotify_rm_watch(inotify_fd_, w.wd);
    std::erase_if(dirs_, [&](const auto& d) { return d.second.wd == w.wd; });
    wds_.erase(w.wd);
    return 0;
  }
  const auto first = wds_.find(w.wd);
  return first != wds_.end() && first->second == dir ? w.id : 0;
}

void InotifyWatcher::wake() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0) {
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
}

bool InotifyWatcher::wait(std::chrono::milliseconds timeout, const OnChange& on_change) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
  const nfds_t n = inotify_fd_ >= 0 ? 2 : 1;
  const int ms = static_cast<int>(std::max<int64_t>(0, timeout.count()));
  const int ready = ::poll(fds, n, ms);
  if (ready == 0) return false;  // nothing was queued: an empty batch
  // Interrupted (EINTR): events may be queued all the same. They are read now, so that what
  // follows (a batch ends: RenameHistory::end_batch()) never passes them by.
  if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
    uint64_t v = 0;
    [[maybe_unused]] ssize_t r = ::read(wake_fd_, &v, sizeof(v));
  }
  return inotify_fd_ >= 0 && drain(on_change);
}

bool InotifyWatcher::drain(const OnChange& on_change) {
  bool rescan = false;
  for (;;) {
    const ssize_t len = ::read(inotify_fd_, buf_.data(), buf_.size());
    if (len < 0 && errno == EINTR) continue;
    if (len <= 0) break;  // EAGAIN: drained
    for (ssize_t off = 0; off < len;) {
      inotify_event ev;
      ::memcpy(&ev, buf_.data() + off, sizeof(ev));
      const char* name = buf_.data() + off + sizeof(inotify_event);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev.len);
      if ((ev.mask & IN_Q_OVERFLOW) != 0) {
        ++overflows_;
        spdlog::warn(
            "tail: the inotify event queue overflowed (fs.inotify.max_queued_events); "
            "rescanning every path");
        rescan = true;
        continue;
      }
      std::string path;
      {
        std::lock_guard lock(mu_);
        auto it = wds_.find(ev.wd);
        if (it == wds_.end()) continue;
        if ((ev.mask & (IN_IGNORED | IN_MOVE_SELF)) != 0) {
          // Removed, or renamed away (its watch would follow it): a later scan watches what
          // holds the name then. Other names of the directory lose their watch with it.
          if ((ev.mask & IN_MOVE_SELF) != 0) ::inotify_rm_watch(inotify_fd_, ev.wd);
          const int wd = ev.wd;  // (clang: a struct with a flexible array is not captured)
          std::erase_if(dirs_, [wd](const auto& d) { return d.second.wd == wd; });
          wds_.erase(it);
          rescan = true;
          continue;
        }
        path = it->second;
      }
      if ((ev.mask & kStructuralMask) != 0) rescan = true;
      if (ev.len == 0 || on_change == nullptr) continue;
      if (path.back() != '/') path += '/';
      path += std::string_view(name, ::strnlen(name, ev.len));
      on_change(path, ev.mask, ev.cookie);
    }
  }
  return rescan;
}

}  // namespace logagent::plugins::tail
