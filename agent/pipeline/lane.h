// Lane: one ordered path through a pipeline -- a chain of stage threads joined by SPSC queues,
// ending in the sink step.
//
//   input thread → [q0] → stage 0 → [q1] → stage 1 → ... → [qN] → sink step thread
//
// Every queue has exactly one producer and one consumer. A file always maps to the same lane, so
// its batches stay in order. Closing: the input calls close(); each thread drains its queue, then
// closes the next one, so a lane finishes only after every accepted batch reached the sink step.
//
// Threads: entry() is used by the input thread only; depth() by any thread.
#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/plugin.h"
#include "agent/core/spsc_queue.h"

namespace logagent {

class Lane {
 public:
  using SinkStep = std::function<void(BatchPtr)>;

  Lane(std::vector<std::unique_ptr<Stage>> stages, size_t queue_size, SinkStep sink_step);
  ~Lane();
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  void start();
  // Producer side of q0 (input thread only). False when the lane is closing.
  bool push(BatchPtr&& batch, const std::stop_token& stop);
  // The input will push no more: let the lane drain and end.
  void close();
  void join();
  // Items waiting in queue i (0 = the input's queue; stages().size() = the sink step's queue).
  size_t depth(size_t i) const { return queues_[i]->size(); }
  size_t queue_count() const { return queues_.size(); }

 private:
  void run_stage(size_t i);
  void run_sinks();

  std::vector<std::unique_ptr<Stage>> stages_;
  std::vector<std::unique_ptr<SpscQueue<BatchPtr>>> queues_;
  std::vector<std::stop_source> closed_;  // closed_[i]: producer of queue i is done
  SinkStep sink_step_;
  std::vector<std::jthread> threads_;
};

}  // namespace logagent
