#include "agent/api/fd_sink.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "agent/api/zstd_frame.h"

namespace logagent {

FdSink::FdSink(int fd, bool owns_fd, std::string name, EncodeSpec spec, bool sync,
               const PluginContext& ctx)
    : fd_(fd),
      owns_fd_(owns_fd),
      name_(std::move(name)),
      sync_(sync),
      spec_(spec),
      abort_(ctx.abort),
      write_errors_(ctx.metrics.counter("logagent_sink_write_errors_total",
                                        "Failed write attempts (retried)")) {}

FdSink::~FdSink() {
  if (owns_fd_) ::close(fd_);
}

EventFormat FdSink::parse_format(const std::string& format) {
  return format == "json" ? EventFormat::kJson : EventFormat::kRaw;
}

std::optional<EncodeSpec> FdSink::encoding() const {
  // Raw lines are a copy away from the chunks: not worth a thread hop. The rest is real work.
  if (spec_.format == EventFormat::kRaw && spec_.compression == Compression::kNone) {
    return std::nullopt;
  }
  return spec_;
}

void FdSink::write(const Batch& batch, SinkAck ack) {
  if (batch.live_events() == 0) {
    ack.done(true);
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
        spdlog::error("sink {}: {}", name_, st.message());
        ack.done(false);
        return;
      }
      buffer.swap(packed);
    }
    data = buffer;
  }
  std::lock_guard lock(mu_);
  before_write(data.size());
  ack.done(write_all(data));
}

// Requires mu_. True when every byte was written (and synced when asked).
bool FdSink::write_all(std::string_view data) {
  size_t done = 0;
  auto backoff = std::chrono::milliseconds(50);
  while (done < data.size() || (sync_ && done == data.size())) {
    if (done == data.size()) {  // sync_ only
      if (::fdatasync(fd_) == 0 || errno == EINVAL) break;
    } else {
      const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n >= 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
    }
    const int err = errno;
    write_errors_.inc();
    if (err != last_errno_) {
      spdlog::error("sink {}: write failed: {}; retrying", name_, std::strerror(err));
      last_errno_ = err;
    }
    if (err == EPIPE || err == EBADF || abort_.stop_requested()) return false;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  if (last_errno_ != 0) {
    spdlog::info("sink {}: writing again", name_);
    last_errno_ = 0;
  }
  return true;
}

Status FdSink::flush(std::chrono::steady_clock::time_point deadline) {
  (void)deadline;
  std::lock_guard lock(mu_);
  if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) {
    return Status::error(name_ + ": fsync: " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace logagent
