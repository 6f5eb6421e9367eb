// TailSys: the system calls and clocks of the tail input, behind one interface, so that tests can
// make a call fail (EIO on a read, EMFILE on an open, ENOENT between a scan and the open) and
// drive time by hand.
//
// Each method does what the call of its name does and reports failure the same way (-1, or
// nullptr, with errno set). real_tail_sys() is the implementation on the real kernel and clocks;
// the input's parts default to it, and a test hands its own to FileTracker, Discovery,
// FileReader and the file_opener / fingerprint helpers. Every holder keeps a reference: the cost
// is one virtual call per system call or clock read (per read(), not per line).
//
// Not behind the seam: glob(3)/stat(2) of PathScanner and inotify (InotifyWatcher) -- tests run
// them on real directories, where each syscall of the test queues its event.
//
// Threads: the real implementation is stateless (any thread); a fake says what it allows.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace logagent::plugins::tail {

struct DirEntry {
  std::string name;
  uint64_t ino = 0;  // d_ino
};

class TailSys {
 public:
  virtual ~TailSys() = default;

  virtual int open(const char* path, int flags) = 0;
  virtual int close(int fd) = 0;
  virtual int fstat(int fd, struct stat* st) = 0;
  virtual ssize_t pread(int fd, void* buf, size_t count, off_t offset) = 0;
  // statx(fd, "", AT_EMPTY_PATH, mask, out): the birth time of an open file.
  virtual int fstatx(int fd, unsigned mask, struct statx* out) = 0;
  // fcntl(fd, F_DUPFD_CLOEXEC, 0).
  virtual int dup_cloexec(int fd) = 0;
  // opendir + readdir + closedir: every entry of `dir` (with "." and ".."); -1 when it cannot be
  // opened.
  virtual int list_dir(const std::string& dir, std::vector<DirEntry>* out) = 0;
  // realpath(3) into a PATH_MAX buffer.
  virtual char* realpath(const char* path, char* resolved) = 0;

  // Steady (monotonic) clock, ns: ages, idle times, deadlines.
  virtual int64_t mono_now_ns() = 0;
  // Wall clock, ns since the epoch: a batch's read time.
  virtual int64_t real_now_ns() = 0;
};

// The kernel's calls and the real clocks.
class RealTailSys : public TailSys {
 public:
  int open(const char* path, int flags) override;
  int close(int fd) override;
  int fstat(int fd, struct stat* st) override;
  ssize_t pread(int fd, void* buf, size_t count, off_t offset) override;
  int fstatx(int fd, unsigned mask, struct statx* out) override;
  int dup_cloexec(int fd) override;
  int list_dir(const std::string& dir, std::vector<DirEntry>* out) override;
  char* realpath(const char* path, char* resolved) override;
  int64_t mono_now_ns() override;
  int64_t real_now_ns() override;
};

// The one RealTailSys (stateless).
TailSys& real_tail_sys();

}  // namespace logagent::plugins::tail
