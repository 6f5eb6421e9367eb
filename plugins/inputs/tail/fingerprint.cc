#include "plugins/inputs/tail/fingerprint.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

namespace logagent::plugins::tail {
namespace {

// Reads up to `want` (<= kFingerprintCap) bytes from offset 0; returns the count read. `*err`
// (when given) is the errno of a failed read, else 0.
size_t read_head(TailSys& sys, int fd, char* buf, size_t want, int* err = nullptr) {
  size_t got = 0;
  while (got < want) {
    const ssize_t n = sys.pread(fd, buf + got, want - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && err != nullptr) *err = errno;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

size_t fingerprint_len(const struct stat& st) {
  return static_cast<size_t>(
      std::min<uint64_t>(static_cast<uint64_t>(std::max<off_t>(st.st_size, 0)), kFingerprintCap));
}

}  // namespace

int64_t birth_ns(int fd, TailSys& sys) {
  struct statx stx {};
  if (sys.fstatx(fd, STATX_BTIME, &stx) != 0 || (stx.stx_mask & STATX_BTIME) == 0) {
    return 0;
  }
  return static_cast<int64_t>(stx.stx_btime.tv_sec) * 1000000000 + stx.stx_btime.tv_nsec;
}

FileIdentity inode_identity(uint64_t dev, uint64_t ino) {
  FileIdentity id;
  id.dev = dev;
  id.ino = ino;
  id.fp_hash = fingerprint_hash(std::string_view());  // of its first 0 bytes
  return id;
}

FileIdentity identify(int fd, const struct stat& st, TailSys& sys, int* err) {
  char buf[kFingerprintCap];
  if (err != nullptr) *err = 0;
  const size_t len = read_head(sys, fd, buf, fingerprint_len(st), err);
  FileIdentity id;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.fp_len = static_cast<uint32_t>(len);
  id.fp_hash = fingerprint_hash(std::string_view(buf, len));
  id.birth = birth_ns(fd, sys);
  return id;
}

Refreshed refresh(int fd, const struct stat& st, const FileIdentity& old, TailSys& sys) {
  char buf[kFingerprintCap];
  Refreshed r;
  const size_t len =
      read_head(sys, fd, buf, std::max<size_t>(fingerprint_len(st), old.fp_len), &r.err);
  r.current.dev = static_cast<uint64_t>(st.st_dev);
  r.current.ino = static_cast<uint64_t>(st.st_ino);
  r.current.fp_len = static_cast<uint32_t>(len);
  r.current.fp_hash = fingerprint_hash(std::string_view(buf, len));
  r.current.birth = old.birth;  // the same open file
  if (r.err != 0 || len < old.fp_len) return r;
  r.matches =
      (len == old.fp_len ? r.current.fp_hash
                         : fingerprint_hash(std::string_view(buf, old.fp_len))) == old.fp_hash;
  return r;
}

Match match_file(int fd, const struct stat& st, const FileIdentity& saved, TailSys& sys) {
  if (static_cast<uint64_t>(st.st_dev) != saved.dev ||
      static_cast<uint64_t>(st.st_ino) != saved.ino) {
    return Match::other;
  }
  const bool matches = refresh(fd, st, saved, sys).matches;
  const int64_t birth = saved.birth != 0 ? birth_ns(fd, sys) : 0;
  if (birth == 0) return matches ? Match::same : Match::other;
  if (birth != saved.birth) return Match::other;
  return matches ? Match::same : Match::rewritten;
}

bool same_file(int fd, const struct stat& st, const FileIdentity& saved, TailSys& sys) {
  return match_file(fd, st, saved, sys) != Match::other;
}

}  // namespace logagent::plugins::tail
