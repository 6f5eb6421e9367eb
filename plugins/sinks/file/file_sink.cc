#include "plugins/sinks/file/file_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace logagent::plugins::file_sink {
namespace {

// O_NOFOLLOW: an agent that may run as root never appends to whatever a symbolic link planted at
// its output path points to. O_NONBLOCK: opening a FIFO without a reader fails (ENXIO) instead of
// hanging; writes to a full FIFO are polled by FdSink (regular files ignore the flag).
int open_append(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                0644);
}

std::string open_error(const std::string& path, int err) {
  if (err == ELOOP) {
    return "cannot open " + path +
           ": it is a symbolic link, and the file sink does not follow links (set path to "
           "the real file)";
  }
  if (err == ENXIO) return "cannot open " + path + ": a FIFO with no reader (waiting for one)";
  return "cannot open " + path + ": " + std::strerror(err);
}

// A crash (SIGKILL, power loss) in the middle of write(2) can leave the output ending in part of
// a record. That batch was never acknowledged: the restart writes it again from the checkpoint,
// and must not continue the torn record. So an uncompressed output that does not end in a
// newline is cut back to just after its last one (searched for within kMaxTornBytes; beyond
// that the file is left alone: it is not a torn batch of ours).
constexpr off_t kMaxTornBytes = 64 << 20;  // past the largest encoded batch

// Where the partial record at the end of the regular file on `fd` begins; -1 when it ends in a
// newline (or is empty, not a regular file, or cannot be read).
off_t torn_tail_start(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return -1;
  // fd is write-only: read through a second descriptor, if it is the same file.
  const int rd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (rd < 0) return -1;
  struct stat rs {};
  off_t keep = -1;
  if (::fstat(rd, &rs) == 0 && rs.st_dev == st.st_dev && rs.st_ino == st.st_ino) {
    char block[64 * 1024];
    const off_t floor = st.st_size > kMaxTornBytes ? st.st_size - kMaxTornBytes : 0;
    off_t end = st.st_size;
    while (keep < 0 && end > floor) {
      const off_t begin = std::max(floor, end - static_cast<off_t>(sizeof(block)));
      const ssize_t n = ::pread(rd, block, static_cast<size_t>(end - begin), begin);
      if (n != end - begin) break;  // a read error: leave the file as it is
      const void* nl = ::memrchr(block, '\n', static_cast<size_t>(n));
      if (nl != nullptr) keep = begin + (static_cast<const char*>(nl) - block) + 1;
      end = begin;
    }
    if (keep < 0 && end == 0) keep = 0;  // one partial record and nothing before it
  }
  ::close(rd);
  return keep == st.st_size ? -1 : keep;
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

const Schema<FileOptions>& FileOptions::schema() {
  static const Schema<FileOptions> s =
      Schema<FileOptions>()
          .field("path", &FileOptions::path,
                 "File to append events to; parent directories are created.")
          .required()
          .field("format", &FileOptions::format,
                 "raw: the line as read, then a newline; json: one object a line.")
          .field("fsync", &FileOptions::fsync,
                 "Acknowledge only after fdatasync(2): durable across power loss, slower.")
          .field("compression", &FileOptions::compression,
                 "none, or zstd: each batch is one zstd frame (compressed by the lane's encode "
                 "step on its own thread); the file is a valid .zst stream that `zstd -d` reads.")
          .field("compression_level", &FileOptions::compression_level,
                 "zstd level, 1 (fastest) to 19.")
          .field("roll_size", &FileOptions::roll_size,
                 "Roll the file when it would grow past this size (0: never). The rolled file "
                 "is renamed <stem>-<UTC time>-<NNN><extensions>; a fresh one is opened at `path`.")
          .field("roll_interval", &FileOptions::roll_interval,
                 "Roll the file when it is older than this (0s: never); checked when a batch "
                 "is written.")
          .rule([](const FileOptions& o) -> std::optional<std::string> {
            if (o.path.empty()) return "path must not be empty";
            if (o.compression_level < 1 || o.compression_level > 19) {
              return "compression_level must be between 1 and 19";
            }
            return std::nullopt;
          });
  return s;
}

std::string rolled_name(const std::string& path, const std::string& stamp, int n) {
  const size_t slash = path.rfind('/');
  const size_t base = slash == std::string::npos ? 0 : slash + 1;
  // Extensions start at the first '.' of the last component that is not its first character.
  size_t dot = path.find('.', base + 1);
  if (dot == std::string::npos) dot = path.size();
  char seq[16];
  std::snprintf(seq, sizeof(seq), "-%03d", n);
  return path.substr(0, dot) + "-" + stamp + seq + path.substr(dot);
}

Result<std::unique_ptr<RollingFileSink>> RollingFileSink::open(const FileOptions& o,
                                                               const PluginContext& ctx) {
  const std::filesystem::path path(o.path);
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return Status::error("cannot create directory for " + o.path + ": " + ec.message());
  }
  const int fd = open_append(o.path);
  // A FIFO without a reader yet is not an error: the sink is not ready (GET /ready says so) and
  // every write tries to open it again.
  if (fd < 0 && errno != ENXIO) return Status::error(open_error(o.path, errno));
  const off_t torn =
      fd >= 0 && o.compression == Compression::kNone ? torn_tail_start(fd, o.path) : -1;
  if (torn >= 0 && ::ftruncate(fd, torn) == 0) {
    spdlog::warn(
        "sink file {}: ended in a partial record (from a write interrupted by a crash); cut it "
        "off at {} -- its batch was not acknowledged and is written again",
        o.path, torn);
  } else if (torn >= 0) {
    spdlog::error(
        "sink file {}: ends in a partial record from {} but cannot be cut now: {}; "
        "every write tries again first",
        o.path, torn, std::strerror(errno));
  }
  struct stat st {};
  const uint64_t size = fd >= 0 && ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  std::unique_ptr<RollingFileSink> sink(new RollingFileSink(fd, o, size, ctx));
  if (torn >= 0 && static_cast<off_t>(size) > torn) {
    std::lock_guard lock(sink->mu_);
    sink->torn_ = torn;  // FdSink cuts it before the first write (a failure there is a retry)
  }
  if (fd < 0) {
    spdlog::warn("sink file {}: {}", o.path, open_error(o.path, ENXIO));
    sink->set_not_ready(open_error(o.path, ENXIO));
  }
  return sink;
}

bool RollingFileSink::reopen(std::string& why) {
  const int fd = open_append(path_);
  if (fd < 0) {
    why = open_error(path_, errno);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  struct stat st {};
  size_ = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  opened_ = std::chrono::steady_clock::now();
  spdlog::info("sink {}: {} opened again", name_, path_);
  return true;
}

bool RollingFileSink::check_output(std::string& why) {
  struct stat ours {};
  struct stat named {};
  if (::fstat(fd_, &ours) != 0 || !S_ISREG(ours.st_mode)) return true;  // a FIFO: nothing to check
  const bool same = ::stat(path_.c_str(), &named) == 0 && named.st_dev == ours.st_dev &&
                    named.st_ino == ours.st_ino;
  if (same) return true;
  reopen_ = true;  // the next write goes to a file at `path` again
  if (ours.st_nlink > 0) {
    // Renamed away (rotated by someone else): the batch is in that file, under its new name.
    spdlog::warn("sink {}: {} was moved away; writing to a new file at that path", name_, path_);
    return true;
  }
  // Deleted: this batch went to a file nobody can read. Write it again, to a new file.
  why = path_ + " was deleted while being written";
  return false;
}

RollingFileSink::RollingFileSink(int fd, const FileOptions& o, uint64_t size,
                                 const PluginContext& ctx)
    : FdSink(fd, true, "file " + o.path, EncodeSpec{o.format, o.compression, o.compression_level},
             o.fsync, ctx),
      path_(o.path),
      roll_size_(o.roll_size.bytes),
      roll_interval_(o.roll_interval.value),
      size_(size),
      opened_(std::chrono::steady_clock::now()),
      rolls_(ctx.metrics.counter(kFileSinkRolls)),
      roll_errors_(ctx.metrics.counter(kFileSinkRollErrors)) {}

void RollingFileSink::before_write(size_t bytes) {
  const bool too_big = roll_size_ > 0 && size_ > 0 && size_ + bytes > roll_size_;
  const bool too_old = roll_interval_.count() > 0 && size_ > 0 &&
                       std::chrono::steady_clock::now() - opened_ >= roll_interval_;
  if (too_big || too_old) roll();
}

void RollingFileSink::written(size_t bytes) { size_ += bytes; }

void RollingFileSink::roll_now() {
  std::lock_guard lock(mu_);
  if (size_ > 0) roll();
}

// Requires the FdSink lock. On any failure the current file stays open and is written to: a
// roll that fails never loses events; it is logged once per cause and counted.
void RollingFileSink::roll() {
  auto fail = [&](const std::string& what) {
    roll_errors_.inc();
    if (what != last_error_) spdlog::error("sink {}: cannot roll: {}", name_, what);
    last_error_ = what;
  };
  if (sync_ && ::fdatasync(fd_) != 0 && errno != EINVAL) {
    return fail("fdatasync: " + std::string(std::strerror(errno)));
  }
  const std::string stamp = utc_stamp();
  std::string target;
  for (int n = 0; n < 1000 && target.empty(); ++n) {
    std::string name = rolled_name(path_, stamp, n);
    if (::access(name.c_str(), F_OK) != 0) target = std::move(name);
  }
  if (target.empty()) return fail("1000 rolled files for " + stamp + " exist already");
  if (::rename(path_.c_str(), target.c_str()) != 0) {
    return fail("rename to " + target + ": " + std::strerror(errno));
  }
  const int fd = open_append(path_);
  if (fd < 0) {
    // Keep writing to the renamed file (same descriptor): nothing is lost.
    return fail(open_error(path_, errno));
  }
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
  opened_ = std::chrono::steady_clock::now();
  rolls_.inc();
  if (!last_error_.empty()) spdlog::info("sink {}: rolling again", name_);
  last_error_.clear();
}

std::vector<std::string> FileSink::writes(const Options& o) {
  std::error_code ec;
  const std::string path = std::filesystem::absolute(o.path, ec).lexically_normal().string();
  if (ec) return {};
  std::vector<std::string> out{path};
  if (o.roll_size.bytes > 0 || o.roll_interval.value.count() > 0) {
    std::string rolled = rolled_name(path, "*", 0);  // <stem>-*-000<ext>
    const size_t seq = rolled.rfind("-000");
    if (seq != std::string::npos) rolled.replace(seq, 4, "-[0-9][0-9][0-9]");
    out.push_back(std::move(rolled));
  }
  return out;
}

Result<std::unique_ptr<Sink>> FileSink::create(const Options& o, const PluginContext& ctx) {
  auto sink = RollingFileSink::open(o, ctx);
  if (!sink) return sink.status();
  return std::unique_ptr<Sink>(std::move(sink.value()));
}

}  // namespace logagent::plugins::file_sink
