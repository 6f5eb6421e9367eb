// FdSink: a sink that encodes batches (raw or json, optionally as zstd frames) and writes them to
// a file descriptor. The file and stdout sinks are this with different descriptors.
//
// json and compressed output are prepared by the lane's encode step (Sink::encoding()), on its
// own thread; the sink then writes finished bytes. With compression, each batch is one
// independent zstd frame, so the output is a valid .zst stream at every batch boundary.
// Subclasses may switch files between batches (before_write(), under the lock): rolling.
//
// Outcomes (plugin.h): a batch is delivered after write(2) returned for all of it (and
// fdatasync(2) succeeded, if asked). Any failure answers kRetry -- the pipeline writes the batch
// again after a backoff -- and first removes what this attempt wrote (ftruncate to where the batch
// began; if even that fails, before the next write), so a batch is never torn and never doubled
// in a regular file. A failed fdatasync is never retried as a success: the written pages may be
// gone, so the batch is cut off, the file reopened (reopen()) and the batch written again. A
// descriptor that is broken for good (EPIPE: the FIFO's reader left; EBADF) is reopened when the
// subclass can (the file sink), else the batch is rejected (stdout closed) and the pipeline stops.
// Writes never block forever: a descriptor that would block (a full FIFO) is polled, and the
// shutdown deadline ends the wait. Errors are logged once per cause and counted.
//
// Threads: write() may be called from several lanes at once; batches are encoded outside the lock
// (a per-thread buffer) and written under it, so each batch's lines stay together.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "agent/api/metrics.h"
#include "agent/api/plugin.h"
#include "agent/codec/event_encoder.h"

namespace logagent {

inline constexpr MetricDef kSinkWriteErrors{
    "logagent_sink_write_errors_total", MetricKind::kCounter, "pipeline,sink",
    "Failed write attempts of the file and stdout sinks (each answered retry)"};

class FdSink : public Sink {
 public:
  // Takes ownership of `fd` when `owns_fd`. `fd` may be -1 when reopen() can open it later.
  FdSink(int fd, bool owns_fd, std::string name, EncodeSpec spec, bool sync,
         const PluginContext& ctx);
  ~FdSink() override;

  void write(const Batch& batch, SinkAck ack) override;
  std::optional<EncodeSpec> encoding() const override;
  Status flush(std::chrono::steady_clock::time_point deadline) override;
  std::string not_ready() const override;

  // Parses "raw" | "json".

 protected:
  // The outcome of writing one batch, under mu_.
  struct Attempt {
    SinkOutcome outcome = SinkOutcome::kDelivered;
    std::string why;
  };

  // Called with mu_ held before `bytes` bytes are written: may replace fd_ (rolling). Errors are
  // the subclass's to report; writing goes on to whatever fd_ is then.
  virtual void before_write(size_t bytes) { (void)bytes; }
  // Called with mu_ held after a batch of `bytes` bytes was written (and synced).
  virtual void written(size_t bytes) { (void)bytes; }
  // Called with mu_ held when fd_ must be replaced (-1, or broken): opens the output again and
  // sets fd_. False (and `why`) when it cannot now, or cannot ever (`why` then says so and
  // `can_reopen()` is false).
  virtual bool reopen(std::string& why) {
    why = name_ + " cannot be reopened";
    return false;
  }
  virtual bool can_reopen() const { return false; }
  // Called with mu_ held after a batch was written: true when the batch is where it should be;
  // false (and `why`) when it must be written again (the output was deleted under us). Sets
  // reopen_ when the output must be opened again before the next write.
  virtual bool check_output(std::string& why) {
    (void)why;
    return true;
  }

  // What not_ready() says until a write opens the output (fd_ -1 at construction).
  void set_not_ready(std::string why) {
    std::lock_guard lock(why_mu_);
    not_ready_ = std::move(why);
  }

  std::mutex mu_;
  int fd_;               // guarded by mu_; -1: reopen before writing
  bool reopen_ = false;  // guarded by mu_; fd_ must be replaced before the next write
  off_t torn_ = -1;      // guarded by mu_; a failed attempt's bytes start here: cut them first
  const bool owns_fd_;
  const std::string name_;
  const bool sync_;

 private:
  Attempt write_batch(std::string_view data);
  // Writes every byte, polling a descriptor that would block. 0 or the errno.
  int write_fully(std::string_view data);
  enum class Op { kWrite, kSync, kTruncate };
  Attempt failed(int err, Op op, off_t start);

  const EncodeSpec spec_;
  std::stop_token abort_;
  int last_errno_ = 0;  // guarded by mu_; the cause last logged
  mutable std::mutex why_mu_;
  std::string not_ready_;  // guarded by why_mu_: the output cannot be written now (for /ready)
  Counter write_errors_;
};

}  // namespace logagent
