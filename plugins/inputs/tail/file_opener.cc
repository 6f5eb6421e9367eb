#include "plugins/inputs/tail/file_opener.h"

#include <errno.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string_view>

#include "plugins/inputs/tail/fingerprint.h"
#include "plugins/inputs/tail/path_scanner.h"

namespace logagent::plugins::tail {

OpenedFile open_file(const std::string& path, TailSys& sys) {
  OpenedFile f;
  f.path = path;
  f.fd = sys.open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) {
    f.err = errno;
    return f;
  }
  if (sys.fstat(f.fd, &f.st) != 0) {
    f.err = errno;
  } else if (!S_ISREG(f.st.st_mode)) {
    f.err = S_ISDIR(f.st.st_mode) ? EISDIR : EINVAL;
  }
  if (f.err != 0) {
    sys.close(f.fd);
    f.fd = -1;
  }
  return f;
}

namespace {

// The regular file in `dir` with inode `ino` that `is_it` accepts (fd < 0 when none).
template <typename IsIt>
OpenedFile find_inode(const std::string& dir, uint64_t ino, TailSys& sys, IsIt is_it) {
  std::vector<DirEntry> entries;
  if (sys.list_dir(dir, &entries) != 0) return {};
  for (const DirEntry& e : entries) {
    if (e.ino != ino) continue;  // d_ino is the inode for regular entries
    std::string path = dir;
    if (path.empty() || path.back() != '/') path += '/';
    path += e.name;
    OpenedFile f = open_file(path, sys);
    if (f.fd < 0) continue;
    if (is_it(f)) return f;
    sys.close(f.fd);
  }
  return {};
}

}  // namespace

OpenedFile find_by_identity(const std::string& dir, const FileIdentity& id, TailSys& sys) {
  return find_inode(dir, id.ino, sys,
                    [&](const OpenedFile& f) { return same_file(f.fd, f.st, id, sys); });
}

uint64_t tail_offset(int fd, uint64_t size, TailSys& sys) {
  constexpr uint64_t kLook = 64 * 1024;
  const uint64_t from = size > kLook ? size - kLook : 0;
  std::unique_ptr<char[]> buf(new char[kLook]);
  const ssize_t n = sys.pread(fd, buf.get(), size - from, static_cast<off_t>(from));
  if (n <= 0) return size;
  for (ssize_t i = n; i > 0; --i) {
    if (buf[static_cast<size_t>(i - 1)] == '\n') return from + static_cast<uint64_t>(i);
  }
  return from == 0 ? 0 : size;
}

StartPoint ResumePlanner::start_for(const OpenedFile& f, bool at_start) {
  const auto size = static_cast<uint64_t>(std::max<off_t>(f.st.st_size, 0));
  for (size_t i = 0; i < saved_.size(); ++i) {
    const CheckpointEntry& e = saved_[i];
    if (used_[i] || e.id.dev != static_cast<uint64_t>(f.st.st_dev) ||
        e.id.ino != static_cast<uint64_t>(f.st.st_ino)) {
      continue;
    }
    used_[i] = true;
    const Match m = match_file(f.fd, f.st, e.id, sys_);
    if (m == Match::other) break;  // inode reused by another file: new
    if (m == Match::rewritten || e.offset > size) return {0, true, true};
    return {e.offset, true, false};
  }
  if (!at_start || !from_tail_) return {0, false, false};
  ++tail_starts_;
  return {tail_offset(f.fd, size, sys_), false, false};
}

std::vector<ResumePlanner::Rotated> ResumePlanner::find_rotated() {
  std::vector<Rotated> out;
  for (size_t i = 0; i < saved_.size(); ++i) {
    if (used_[i]) continue;
    const CheckpointEntry& e = saved_[i];
    // Without a birth time, an entry of a file that was empty matches any file with its inode:
    // its offset is 0, so such a file is read whole -- nothing skipped, at worst sent twice.
    OpenedFile f = find_by_identity(dir_name(e.path), e.id, sys_);
    if (f.fd < 0) {
      spdlog::info(
          "tail: {} (checkpoint at {}) is not found or cannot be opened now; its entry is kept "
          "and it resumes there when it can be read",
          e.path, e.offset);
      continue;
    }
    used_[i] = true;
    const auto size = static_cast<uint64_t>(std::max<off_t>(f.st.st_size, 0));
    const bool rewritten =
        match_file(f.fd, f.st, e.id, sys_) == Match::rewritten || e.offset > size;
    const uint64_t offset = rewritten ? 0 : e.offset;
    spdlog::info("tail: {} was {}rotated to {} while stopped; reading it from {}", e.path,
                 rewritten ? "truncated and " : "", f.path, offset);
    out.push_back({std::move(f), offset, rewritten});
  }
  return out;
}

}  // namespace logagent::plugins::tail
