// FdSink: a sink that encodes batches (raw or json, optionally as zstd frames) and writes them to
// a file descriptor. The file and stdout sinks are this with different descriptors.
//
// json and compressed output are prepared by the lane's encode step (Sink::encoding()), on its
// own thread; the sink then writes finished bytes. With compression, each batch is one
// independent zstd frame, so the output is a valid .zst stream at every batch boundary.
// Subclasses may switch files between batches (before_write(), under the lock): rolling.
//
// A batch is acknowledged after write(2) returned for all of it (and fdatasync(2), if asked).
// Transient errors (ENOSPC, EIO, ...) are logged once per cause, counted, and retried with backoff
// until they clear or the shutdown deadline aborts the sink; an aborted or broken (EPIPE) write
// fails the batch, so its offsets are never committed. Nothing is dropped silently.
//
// Threads: write() may be called from several lanes at once; batches are encoded outside the lock
// (a per-thread buffer) and written under it, so each batch's lines stay together.
#pragma once

#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "agent/api/event_encoder.h"
#include "agent/api/metrics.h"
#include "agent/api/plugin.h"

namespace logagent {

class FdSink : public Sink {
 public:
  // Takes ownership of `fd` when `owns_fd`.
  FdSink(int fd, bool owns_fd, std::string name, EncodeSpec spec, bool sync,
         const PluginContext& ctx);
  ~FdSink() override;

  void write(const Batch& batch, SinkAck ack) override;
  std::optional<EncodeSpec> encoding() const override;
  Status flush(std::chrono::steady_clock::time_point deadline) override;

  // Parses "raw" | "json".
  static EventFormat parse_format(const std::string& format);

 protected:
  // Called with mu_ held before `bytes` bytes are written: may replace fd_ (rolling). Errors are
  // the subclass's to report; writing goes on to whatever fd_ is then.
  virtual void before_write(size_t bytes) { (void)bytes; }

  std::mutex mu_;
  int fd_;  // guarded by mu_
  const bool owns_fd_;
  const std::string name_;
  const bool sync_;

 private:
  bool write_all(std::string_view data);

  const EncodeSpec spec_;
  std::stop_token abort_;
  int last_errno_ = 0;  // guarded by mu_; the cause last logged
  Counter write_errors_;
};

}  // namespace logagent
