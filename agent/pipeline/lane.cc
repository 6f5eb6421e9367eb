#include "agent/pipeline/lane.h"

#include "agent/core/clock.h"

namespace logagent {
namespace {

// Upper bounds of the per-batch stage time, in seconds: 10 µs to 1 s.
const std::vector<double> kDurationBuckets{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3,
                                           0.01, 0.05, 0.1,  0.5,  1};

struct EventCounts {
  uint64_t live = 0;    // not dropped
  uint64_t failed = 0;  // flagged kEventParseError
};

EventCounts count_events(const Batch& batch) {
  EventCounts c;
  for (const Event& e : batch.events) {
    c.live += (e.flags & kEventDropped) == 0;
    c.failed += (e.flags & kEventParseError) != 0;
  }
  return c;
}

void add_if(const Counter& counter, uint64_t n) {
  if (n > 0) counter.add(static_cast<double>(n));
}

}  // namespace

Lane::StageMetrics::StageMetrics(const MetricsScope& scope)
    : in(scope.counter(kStageEventsIn)),
      out(scope.counter(kStageEventsOut)),
      dropped(scope.counter(kStageEventsDropped)),
      errors(scope.counter(kStageEventErrors)),
      duration(scope.histogram(kStageBatchDuration, kDurationBuckets)) {}

Lane::Lane(std::vector<LaneStage> stages, size_t queue_size, SinkStep sink_step, TapHub* taps)
    : stages_(std::move(stages)), sink_step_(std::move(sink_step)), taps_(taps) {
  for (const LaneStage& s : stages_) metrics_.emplace_back(s.metrics);
  for (size_t i = 0; i <= stages_.size(); ++i) {
    queues_.push_back(std::make_unique<SpscQueue<BatchPtr>>(queue_size));
    closed_.emplace_back();
  }
}

Lane::~Lane() {
  close();
  join();
}

void Lane::start() {
  for (size_t i = 0; i < stages_.size(); ++i) threads_.emplace_back([this, i] { run_stage(i); });
  threads_.emplace_back([this] { run_sinks(); });
}

bool Lane::push(BatchPtr&& batch, const std::stop_token& stop) {
  return queues_[0]->push(std::move(batch), stop);
}

void Lane::close() { closed_[0].request_stop(); }

void Lane::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Lane::run_stage(size_t i) {
  SpscQueue<BatchPtr>& in = *queues_[i];
  SpscQueue<BatchPtr>& out = *queues_[i + 1];
  const std::stop_token closed = closed_[i].get_token();
  const std::stop_token never;
  const bool tapped = taps_ != nullptr && i + 1 < taps_->points();
  while (auto batch = in.pop_wait(closed)) {
    process(i, **batch);
    if (tapped && taps_->active(i + 1)) taps_->offer(i + 1, **batch);
    // Downstream never stops before us: wait for room however long the sink takes.
    if (!out.push(std::move(*batch), never)) break;
  }
  closed_[i + 1].request_stop();
}

// Stage i's process(), counted: the events it received, passed on, dropped and failed, and
// the time it took.
void Lane::process(size_t i, Batch& batch) {
  const EventCounts before = count_events(batch);
  const int64_t start = mono_now_ns();
  stages_[i].stage->process(batch);
  const int64_t end = mono_now_ns();
  const EventCounts after = count_events(batch);
  const StageMetrics& m = metrics_[i];
  add_if(m.in, before.live);
  add_if(m.out, after.live);
  add_if(m.dropped, before.live > after.live ? before.live - after.live : 0);
  add_if(m.errors, after.failed > before.failed ? after.failed - before.failed : 0);
  m.duration.observe(static_cast<double>(end - start) / 1e9);
}

void Lane::run_sinks() {
  SpscQueue<BatchPtr>& in = *queues_.back();
  const std::stop_token closed = closed_.back().get_token();
  while (auto batch = in.pop_wait(closed)) sink_step_(std::move(*batch));
}

}  // namespace logagent
