// FakeTailSys: the tail input's syscall seam (tail_sys.h) for tests -- the real calls, except
// those a test told to fail, and a manual clock.
//
//   FakeTailSys sys;
//   sys.fail(SysCall::kPread, EIO, "a.log");   // the next pread of a.log fails with EIO
//   sys.fail(SysCall::kOpen, EMFILE, "", 3);   // the next three opens fail with EMFILE
//   sys.advance(std::chrono::seconds(31));     // idle_close_after has passed
//   sys.set_before_open([&](const char*) { rotate(); });  // another process races the open
//
// A fault matches a call by kind and by a part of the path (for calls on a descriptor: the path
// it was opened with through this fake; "" matches any), after `after` such calls went through.
// `times` < 0: until clear_faults(). Time
// starts at kStartNs and moves only by advance(). Counters say how often each call was made and
// how often it was failed, and which descriptors are open through it.
//
// Threads: every method locks; the tests step Discovery and FileTracker on one thread.
#pragma once

#include <errno.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/inputs/tail/tail_sys.h"

namespace logagent::plugins::tail::testing {

enum class SysCall { kOpen, kClose, kFstat, kPread, kFstatx, kDup, kListDir, kRealpath, kCount };

class FakeTailSys final : public RealTailSys {
 public:
  static constexpr int64_t kStartNs = 1'000'000'000'000;  // 1000 s: ages start well above 0

  // `after`: that many matching calls succeed first.
  void fail(SysCall call, int err, std::string path_part = "", int times = 1, int after = 0) {
    std::lock_guard lock(mu_);
    faults_.push_back({call, err, std::move(path_part), times, after});
  }
  void clear_faults() {
    std::lock_guard lock(mu_);
    faults_.clear();
  }
  void advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mu_);
    mono_ += d.count();
    real_ += d.count();
  }
  int calls(SysCall c) {
    std::lock_guard lock(mu_);
    return calls_[static_cast<size_t>(c)];
  }
  int failed(SysCall c) {
    std::lock_guard lock(mu_);
    return failed_[static_cast<size_t>(c)];
  }
  // Descriptors opened (or duplicated) through this fake and not closed yet.
  size_t open_fds() {
    std::lock_guard lock(mu_);
    return paths_.size();
  }
  // btime to report for every fstatx (0: the real one).
  void set_birth_ns(int64_t ns) {
    std::lock_guard lock(mu_);
    birth_ = ns;
  }

  // Runs before every open, outside the lock: a test changes the directory there, the way another
  // process does between the agent reading an event and opening the name it read.
  void set_before_open(std::function<void(const char* path)> hook) {
    std::lock_guard lock(mu_);
    before_open_ = std::move(hook);
  }

  int open(const char* path, int flags) override {
    std::function<void(const char*)> hook;
    {
      std::lock_guard lock(mu_);
      hook = before_open_;
    }
    if (hook) hook(path);
    if (injected(SysCall::kOpen, path)) return -1;
    const int fd = RealTailSys::open(path, flags);
    if (fd >= 0) {
      std::lock_guard lock(mu_);
      paths_[fd] = path;
    }
    return fd;
  }
  int close(int fd) override {
    const bool fault = injected(SysCall::kClose, path_of(fd));
    {
      std::lock_guard lock(mu_);
      paths_.erase(fd);
    }
    const int r = RealTailSys::close(fd);  // closed even when failed: as close(2) on Linux
    if (fault) return -1;
    return r;
  }
  int fstat(int fd, struct stat* st) override {
    if (injected(SysCall::kFstat, path_of(fd))) return -1;
    return RealTailSys::fstat(fd, st);
  }
  ssize_t pread(int fd, void* buf, size_t count, off_t offset) override {
    if (injected(SysCall::kPread, path_of(fd))) return -1;
    return RealTailSys::pread(fd, buf, count, offset);
  }
  int fstatx(int fd, unsigned mask, struct statx* out) override {
    if (injected(SysCall::kFstatx, path_of(fd))) return -1;
    const int r = RealTailSys::fstatx(fd, mask, out);
    std::lock_guard lock(mu_);
    if (r == 0 && birth_ != 0) {
      out->stx_mask |= STATX_BTIME;
      out->stx_btime.tv_sec = birth_ / 1000000000;
      out->stx_btime.tv_nsec = static_cast<uint32_t>(birth_ % 1000000000);
    }
    return r;
  }
  int dup_cloexec(int fd) override {
    const std::string path = path_of(fd);
    if (injected(SysCall::kDup, path)) return -1;
    const int d = RealTailSys::dup_cloexec(fd);
    if (d >= 0) {
      std::lock_guard lock(mu_);
      paths_[d] = path;
    }
    return d;
  }
  int list_dir(const std::string& dir, std::vector<DirEntry>* out) override {
    if (injected(SysCall::kListDir, dir)) return -1;
    return RealTailSys::list_dir(dir, out);
  }
  char* realpath(const char* path, char* resolved) override {
    if (injected(SysCall::kRealpath, path)) return nullptr;
    return RealTailSys::realpath(path, resolved);
  }
  int64_t mono_now_ns() override {
    std::lock_guard lock(mu_);
    return mono_;
  }
  int64_t real_now_ns() override {
    std::lock_guard lock(mu_);
    return real_;
  }

 private:
  struct Fault {
    SysCall call;
    int err;
    std::string path_part;
    int times;
    int after;
  };

  std::string path_of(int fd) {
    std::lock_guard lock(mu_);
    auto it = paths_.find(fd);
    return it != paths_.end() ? it->second : std::string();
  }
  // Counts the call; true (errno set) when a fault claims it.
  bool injected(SysCall call, const std::string& path) {
    std::lock_guard lock(mu_);
    ++calls_[static_cast<size_t>(call)];
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if (it->call != call || path.find(it->path_part) == std::string::npos) continue;
      if (it->after > 0) {
        --it->after;
        return false;
      }
      const int err = it->err;
      if (it->times > 0 && --it->times == 0) faults_.erase(it);
      ++failed_[static_cast<size_t>(call)];
      errno = err;
      return true;
    }
    return false;
  }

  std::mutex mu_;
  std::vector<Fault> faults_;
  std::map<int, std::string> paths_;
  std::array<int, static_cast<size_t>(SysCall::kCount)> calls_{};
  std::array<int, static_cast<size_t>(SysCall::kCount)> failed_{};
  int64_t mono_ = kStartNs;
  int64_t real_ = 1'700'000'000'000'000'000;
  int64_t birth_ = 0;
  std::function<void(const char*)> before_open_;
};

}  // namespace logagent::plugins::tail::testing
