#include "agent/pipeline/lane.h"

namespace logagent {

Lane::Lane(std::vector<std::unique_ptr<Stage>> stages, size_t queue_size, SinkStep sink_step)
    : stages_(std::move(stages)), sink_step_(std::move(sink_step)) {
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
  while (auto batch = in.pop_wait(closed)) {
    stages_[i]->process(**batch);
    // Downstream never stops before us: wait for room however long the sink takes.
    if (!out.push(std::move(*batch), never)) break;
  }
  closed_[i + 1].request_stop();
}

void Lane::run_sinks() {
  SpscQueue<BatchPtr>& in = *queues_.back();
  const std::stop_token closed = closed_.back().get_token();
  while (auto batch = in.pop_wait(closed)) sink_step_(std::move(*batch));
}

}  // namespace logagent
