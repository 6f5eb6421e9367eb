// FdSink: a sink that encodes batches (raw or json) and writes them to a file descriptor.
// The file and stdout sinks are this with different descriptors.
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
#include <stop_token>
#include <string>

#include "agent/api/event_encoder.h"
#include "agent/api/metrics.h"
#include "agent/api/plugin.h"

namespace logagent {

class FdSink : public Sink {
 public:
  // Takes ownership of `fd` when `owns_fd`.
  FdSink(int fd, bool owns_fd, std::string name, EventFormat format, bool sync,
         const PluginContext& ctx);
  ~FdSink() override;

  void write(const Batch& batch, SinkAck ack) override;
  Status flush(std::chrono::steady_clock::time_point deadline) override;

  // Parses "raw" | "json".
  static EventFormat parse_format(const std::string& format);

 private:
  bool write_all(const std::string& data);

  const int fd_;
  const bool owns_fd_;
  const std::string name_;
  const EventFormat format_;
  const bool sync_;
  std::stop_token abort_;
  std::mutex mu_;
  int last_errno_ = 0;  // guarded by mu_; the cause last logged
  Counter write_errors_;
};

}  // namespace logagent
