// SinkSet: the sink step of every lane and what the pipeline does with each sink's answer.
//
//   lane's sink step → write(batch) → every sink's write(batch, SinkAck)
//   each SinkAck:  delivered → settle
//                  retry     → queued, written to that sink again after a backoff (50 ms doubling
//                              to 5 s); that sink's later batches wait, so none overtakes it
//                  rejected  → the pipeline stops reading (Events::rejected); the batch fails
//   the last answer of a batch → Events::finish(batch, ok = no sink failed it)
//
// Past the shutdown deadline (the abort token) a retry is given up instead: the batch fails, is
// not checkpointed, and is read again after a restart.
//
// Destruction destroys the sinks first, while everything a late answer touches (this set, the
// slots' counters, Events::finish's targets) is still alive: a sink may answer what it holds from
// its destructor (SinkAck's own destructor answers retry).
//
// Threads: write() from the lane threads (one batch per lane at a time); answers from any thread;
// start/flush/stop_retries/not_ready from the supervisor thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/metrics.h"
#include "agent/api/plugin.h"

namespace logagent {

inline constexpr MetricDef kSinkEvents{
    "logagent_sink_events_total", MetricKind::kCounter, "pipeline,sink,result",
    "Events finished by a sink: result ok (acknowledged) or error (the batch failed)"};
inline constexpr MetricDef kSinkBytes{"logagent_sink_bytes_total", MetricKind::kCounter,
                                      "pipeline,sink",
                                      "Input bytes covered by the batches a sink acknowledged"};
inline constexpr MetricDef kSinkRetries{
    "logagent_sink_retries_total", MetricKind::kCounter, "pipeline,sink",
    "Batches written to a sink again after it answered retry (backoff 50 ms doubling to 5 s; "
    "the sink's later batches wait, so order is kept; /ready is 503 meanwhile)"};
inline constexpr MetricDef kSinkBatchesRejected{
    "logagent_sink_batches_rejected_total", MetricKind::kCounter, "pipeline,sink",
    "Batches a sink rejected for good: the pipeline stops reading and /ready says why"};
inline constexpr MetricDef kSinkFanoutMetrics[] = {kSinkEvents, kSinkBytes, kSinkRetries,
                                                   kSinkBatchesRejected};

class SinkSet {
 public:
  struct Events {
    std::function<void(Batch*, bool ok)> finish;  // the last sink answered; owns the batch now
    std::function<void(const std::string& sink, std::string_view why)> rejected;
  };

  SinkSet(std::string pipeline, std::stop_token abort, Events events);
  ~SinkSet();
  SinkSet(const SinkSet&) = delete;
  SinkSet& operator=(const SinkSet&) = delete;

  // Before start().
  void add(std::unique_ptr<Sink> sink, std::string label, const MetricsScope& scope);
  size_t size() const { return slots_.size(); }

  void start();  // the retry thread
  // The sink step: hands `batch` to every sink (waiting while a sink retries an earlier batch).
  void write(BatchPtr batch);
  // Every sink's flush(deadline); errors are logged.
  void flush(std::chrono::steady_clock::time_point deadline);
  // Gives up the retries still queued (their batches fail) and ends the retry thread.
  void stop_retries();
  // "sink X retrying: why" / "sink X: not ready" joined by "; " (empty when all deliver).
  std::string not_ready() const;

 private:
  class Slot;
  friend class Slot;
  // A sink answered retry: queue the batch to be written to it again after a backoff. False
  // when the set gives up instead (shutdown deadline, retries stopped).
  bool schedule_retry(Slot& slot, Batch* batch, std::string_view why);
  void retry_loop(std::stop_token stop);

  const std::string pipeline_;
  const std::stop_token abort_;
  const Events events_;

  struct RetryEntry {
    Slot* slot;
    Batch* batch;
    std::chrono::steady_clock::time_point due;
  };
  std::mutex retry_mu_;
  std::condition_variable_any retry_cv_;  // retry queue changed; a sink's retries went to 0
  std::deque<RetryEntry> retry_queue_;    // guarded by retry_mu_; in the order they failed
  bool retry_closed_ = false;             // guarded by retry_mu_; retries are given up now

  std::vector<std::unique_ptr<Slot>> slots_;
  std::jthread retry_thread_;
};

}  // namespace logagent
