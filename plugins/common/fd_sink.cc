#include "plugins/common/fd_sink.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/codec/zstd_frame.h"

namespace logagent {

FdSink::FdSink(int fd, bool owns_fd, std::string name, EncodeSpec spec, bool sync,
               const PluginContext& ctx)
    : fd_(fd),
      owns_fd_(owns_fd),
      name_(std::move(name)),
      sync_(sync),
      spec_(spec),
      abort_(ctx.abort),
      write_errors_(ctx.metrics.counter(kSinkWriteErrors)) {}

FdSink::~FdSink() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

std::optional<EncodeSpec> FdSink::encoding() const {
  // Raw lines are a copy away from the chunks: not worth a thread hop. The rest is real work.
  if (spec_.format == EventFormat::kRaw && spec_.compression == Compression::kNone) {
    return std::nullopt;
  }
  return spec_;
}

std::string FdSink::not_ready() const {
  std::lock_guard lock(why_mu_);
  return not_ready_;
}

void FdSink::write(const Batch& batch, SinkAck ack) {
  if (batch.live_events() == 0) {
    ack.delivered();
    return;
  }
  std::string_view data;
  if (const Payload* p = find_payload(batch, spec_); p != nullptr) {
    data = p->bytes;  // made by the lane's encode step
  } else {
    thread_local std::string buffer;
    buffer.clear();
    encode_batch(buffer, batch, spec_.format);
    if (spec_.compression == Compression::kZstd) {
      thread_local ZstdFrameCompressor zstd;
      thread_local std::string packed;
      if (Status st = zstd.compress(buffer, spec_.level, packed); !st) {
        ack.retry(st.message());
        return;
      }
      buffer.swap(packed);
    }
    data = buffer;
  }
  Attempt a;
  {
    std::lock_guard lock(mu_);
    a = write_batch(data);
  }
  ack.done(a.outcome, a.why);
}

// Requires mu_.
FdSink::Attempt FdSink::write_batch(std::string_view data) {
  if (fd_ < 0 || reopen_) {
    std::string why;
    struct stat before {};
    const bool had = fd_ >= 0 && ::fstat(fd_, &before) == 0;
    if (torn_ >= 0 && fd_ >= 0 && ::ftruncate(fd_, torn_) == 0) torn_ = -1;
    if (!reopen(why)) {
      {
        std::lock_guard lock(why_mu_);
        not_ready_ = why;
      }
      return {can_reopen() ? SinkOutcome::kRetry : SinkOutcome::kRejected, why};
    }
    reopen_ = false;
    // Torn bytes belong to the old file: cut them only if the new descriptor is that same file.
    struct stat now {};
    if (torn_ >= 0 && !(had && ::fstat(fd_, &now) == 0 && now.st_dev == before.st_dev &&
                        now.st_ino == before.st_ino)) {
      torn_ = -1;
    }
    std::lock_guard lock(why_mu_);
    not_ready_.clear();
  }
  if (torn_ >= 0) {  // an earlier attempt left bytes behind: never append after a torn batch
    if (::ftruncate(fd_, torn_) != 0) return failed(errno, Op::kTruncate, torn_);
    torn_ = -1;
  }
  before_write(data.size());
  // Where this batch begins (O_APPEND: the end), so that a failed attempt can be cut off. -1 for
  // what cannot be truncated (a FIFO, a terminal).
  struct stat st {};
  const off_t start = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : off_t{-1};
  if (const int err = write_fully(data); err != 0) return failed(err, Op::kWrite, start);
  // fdatasync errors are reported once: the pages may be gone while a second call says 0.
  if (sync_ && ::fdatasync(fd_) != 0 && errno != EINVAL) return failed(errno, Op::kSync, start);
  if (std::string why; !check_output(why)) {
    write_errors_.inc();
    spdlog::warn("sink {}: {}; writing the batch again", name_, why);
    return {SinkOutcome::kRetry, why};
  }
  written(data.size());
  if (last_errno_ != 0) {
    spdlog::info("sink {}: writing again", name_);
    last_errno_ = 0;
  }
  return {};
}

int FdSink::write_fully(std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return errno;
    // A non-blocking descriptor that is full (a FIFO whose reader is slow): wait for room, but
    // never past the shutdown deadline.
    if (abort_.stop_requested()) return EAGAIN;
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, 200);
  }
  return 0;
}

// Requires mu_. Removes what the attempt wrote and says what to do next.
FdSink::Attempt FdSink::failed(int err, Op op, off_t start) {
  write_errors_.inc();
  const char* what = op == Op::kWrite ? "write" : op == Op::kSync ? "fdatasync" : "ftruncate";
  const std::string why = name_ + ": " + what + ": " + std::strerror(err);
  if (err != last_errno_) {
    spdlog::error("sink {}", why);
    last_errno_ = err;
  }
  if (start >= 0 && ::ftruncate(fd_, start) != 0) torn_ = start;  // cut it before the next write
  const bool broken = err == EPIPE || err == EBADF || err == ENXIO;
  // After a failed fdatasync the file's state on disk is unknown: start over on a fresh
  // descriptor (the batch itself was cut off above).
  if (broken || op == Op::kSync) {
    if (!can_reopen() && broken) return {SinkOutcome::kRejected, why + " (cannot be reopened)"};
    reopen_ = can_reopen();
  }
  if (broken && can_reopen()) {
    // Close now: a FIFO's next reader must get a fresh pipe, not what is left of this batch.
    ::close(fd_);
    fd_ = -1;
    torn_ = -1;
  }
  return {SinkOutcome::kRetry, why};
}

Status FdSink::flush(std::chrono::steady_clock::time_point deadline) {
  (void)deadline;
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Status::ok();
  if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) {
    return Status::error(name_ + ": fsync: " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace logagent
