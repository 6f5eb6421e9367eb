// Lane: one ordered path through a pipeline -- a chain of stage threads joined by SPSC queues,
// ending in the sink step.
//
//   input thread → [q0] → stage 0 → [q1] → stage 1 → ... → [qN] → sink step thread
//
// Every queue has exactly one producer and one consumer. A file always maps to the same lane, so
// its batches stay in order. Closing: the input calls close(); each thread drains its queue, then
// closes the next one, so a lane finishes only after every accepted batch reached the sink step.
//
// The lane counts the standard per-stage metrics around every stage's process(), once per batch,
// so no stage can forget them (kLaneMetrics). They carry the stage's scope labels: {pipeline,
// stage}, the stage label unique within the pipeline ("json", "json_2"), so two stages of one
// type keep apart. A stage's own metrics (a parser's results, ...) add to these, never repeat
// them.
//
// Tap points (tap_hub.h): after stage i's process(), a lane given a TapHub offers the batch at
// point i + 1 when a tap is attached there (the stages beyond the hub's points -- the encode
// step -- are not tapped).
//
// Threads: push() is used by the input thread only; depth() by any thread.
#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/metrics.h"
#include "agent/api/plugin.h"
#include "agent/core/spsc_queue.h"
#include "agent/pipeline/tap_hub.h"

namespace logagent {

inline constexpr MetricDef kStageEventsIn{"logagent_stage_events_in_total", MetricKind::kCounter,
                                          "pipeline,stage",
                                          "Live (not dropped) events a stage received"};
inline constexpr MetricDef kStageEventsOut{"logagent_stage_events_out_total", MetricKind::kCounter,
                                           "pipeline,stage", "Live events a stage passed on"};
inline constexpr MetricDef kStageEventsDropped{
    "logagent_stage_events_dropped_total", MetricKind::kCounter, "pipeline,stage",
    "Events a stage dropped (received live, passed on dropped; acknowledged all the same)"};
inline constexpr MetricDef kStageEventErrors{
    "logagent_stage_event_errors_total", MetricKind::kCounter, "pipeline,stage",
    "Events a stage flagged as failed (a parse error kept with on_error: keep)"};
inline constexpr MetricDef kStageBatchDuration{"logagent_stage_batch_duration_seconds",
                                               MetricKind::kHistogram, "pipeline,stage",
                                               "Time a stage took to process one batch"};
inline constexpr MetricDef kLaneMetrics[] = {kStageEventsIn, kStageEventsOut, kStageEventsDropped,
                                             kStageEventErrors, kStageBatchDuration};

// A stage of a lane and the scope of its standard metrics ({pipeline, stage}).
struct LaneStage {
  std::unique_ptr<Stage> stage;
  MetricsScope metrics;
};

class Lane {
 public:
  using SinkStep = std::function<void(BatchPtr)>;

  Lane(std::vector<LaneStage> stages, size_t queue_size, SinkStep sink_step,
       TapHub* taps = nullptr);
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
  // The standard metrics of one stage (kLaneMetrics).
  struct StageMetrics {
    explicit StageMetrics(const MetricsScope& scope);
    Counter in, out, dropped, errors;
    Histogram duration;
  };
  void run_stage(size_t i);
  void process(size_t i, Batch& batch);
  void run_sinks();

  std::vector<LaneStage> stages_;
  std::vector<StageMetrics> metrics_;  // one per stage
  std::vector<std::unique_ptr<SpscQueue<BatchPtr>>> queues_;
  std::vector<std::stop_source> closed_;  // closed_[i]: producer of queue i is done
  SinkStep sink_step_;
  TapHub* taps_;  // may be null; outlives the lane
  std::vector<std::jthread> threads_;
};

}  // namespace logagent
