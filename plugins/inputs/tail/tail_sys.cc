#include "plugins/inputs/tail/tail_sys.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <memory>

#include "agent/core/clock.h"

namespace logagent::plugins::tail {

int RealTailSys::open(const char* path, int flags) { return ::open(path, flags); }

int RealTailSys::close(int fd) { return ::close(fd); }

int RealTailSys::fstat(int fd, struct stat* st) { return ::fstat(fd, st); }

ssize_t RealTailSys::pread(int fd, void* buf, size_t count, off_t offset) {
  return ::pread(fd, buf, count, offset);
}

int RealTailSys::fstatx(int fd, unsigned mask, struct statx* out) {
  return ::statx(fd, "", AT_EMPTY_PATH, mask, out);
}

int RealTailSys::dup_cloexec(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

int RealTailSys::list_dir(const std::string& dir, std::vector<DirEntry>* out) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return -1;
  while (const dirent* e = ::readdir(d.get())) {
    out->push_back({e->d_name, static_cast<uint64_t>(e->d_ino)});
  }
  return 0;
}

char* RealTailSys::realpath(const char* path, char* resolved) { return ::realpath(path, resolved); }

int64_t RealTailSys::mono_now_ns() { return logagent::mono_now_ns(); }

int64_t RealTailSys::real_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

TailSys& real_tail_sys() {
  static RealTailSys sys;
  return sys;
}

}  // namespace logagent::plugins::tail
