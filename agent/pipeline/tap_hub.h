// TapHub: the tap points of one pipeline, where `logagent tap` clients attach (TapSession).
//
// Point 0 is the events as the input made them (before the first stage); point N (1-based) is
// after the pipeline's N-th configured stage, so the last point is what the sinks get (the lane's
// own encode step is not a point). The pipeline offers every batch at point 0 (Pipeline::emit)
// and the lanes after each configured stage (Lane::run_stage), only when active(): while nothing
// is attached the data path pays one relaxed atomic load per batch and point, and copies nothing.
//
// Lifetime: shared by the pipeline (whose lanes offer through a raw pointer while it lives) and
// the sessions' HTTP threads. close() -- the pipeline's shutdown -- ends every session and
// refuses new ones, so a client learns that the pipeline it tapped is gone (stopped, or rebuilt
// by a reload).
//
// Threads: active() and offer() from the pipeline's threads; the rest from any thread. A mutex
// guards the session list; offer() holds it while the sessions encode their samples (only while
// one is attached).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/status.h"
#include "agent/pipeline/tap_session.h"

namespace logagent {

class TapHub {
 public:
  // `stage_labels`: the pipeline's configured stages, in order (their unique labels).
  explicit TapHub(std::vector<std::string> stage_labels);
  TapHub(const TapHub&) = delete;
  TapHub& operator=(const TapHub&) = delete;

  // Points: the stages plus one.
  size_t points() const { return labels_.size() + 1; }
  const std::vector<std::string>& stage_labels() const { return labels_; }

  // Whether a session is attached at `point` (< points()). One relaxed load.
  bool active(size_t point) const { return attached_[point].load(std::memory_order_relaxed) != 0; }
  // Lets the sessions attached at `point` sample `batch`.
  void offer(size_t point, const Batch& batch);

  // A new session at `point`; an error once the hub is closed (the reason) or for a point out of
  // range.
  Result<std::shared_ptr<TapSession>> attach(size_t point, TapLimits limits);
  // Removes `session` (attached here); it is closed with `reason` if it was not yet.
  void detach(const std::shared_ptr<TapSession>& session, std::string_view reason);
  // Closes every session with `reason` and refuses new ones. The first reason is kept.
  void close(std::string_view reason);
  bool closed() const;
  // The sessions attached now (for the metrics sampler).
  std::vector<std::shared_ptr<TapSession>> sessions() const;

 private:
  const std::vector<std::string> labels_;
  std::unique_ptr<std::atomic<uint32_t>[]> attached_;  // one per point
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<TapSession>> sessions_;  // guarded by mu_
  bool closed_ = false;                                // guarded by mu_
  std::string reason_;                                 // guarded by mu_
};

}  // namespace logagent
