#include "agent/pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "agent/core/clock.h"

namespace logagent {

Pipeline::Pipeline(const PipelineConfig& config, const AgentConfig& agent, BufferPool& pool,
                   std::shared_ptr<MetricsRegistry> metrics, bool once)
    : name_(config.name),
      agent_(agent),
      pool_(pool),
      metrics_(std::move(metrics)),
      once_(once),
      scope_(metrics_, {{"pipeline", config.name}}),
      acknowledger_(acks_, scope_),
      checkpointer_(config.name, agent, acks_, scope_,
                    config.delivery == Delivery::kExactlyOnce ? CheckpointMode::kCommitted
                                                              : CheckpointMode::kPeriodic),
      exactly_once_(config.delivery == Delivery::kExactlyOnce),
      lines_total_(scope_.counter(kInputLines)),
      bytes_total_(scope_.counter(kInputBytes)),
      sinks_(config.name, abort_.get_token(),
             SinkSet::Events{
                 [this](Batch* b, bool ok) { acknowledger_.finish(b, ok); },
                 [this](const std::string& sink, std::string_view why) { stop_for(sink, why); }}) {}

Pipeline::~Pipeline() {
  taps_->close("pipeline stopped");
  if (started_.load(std::memory_order_acquire)) shutdown(std::chrono::steady_clock::now());
  for (uint64_t id : sampler_ids_) metrics_->remove_sampler(id);
  // Series of a removed pipeline or stage would keep their last values (in flight, ages, queue
  // depths) until a restart; a pipeline started again under the same labels samples them anew.
  for (const Gauge& g : sampled_) g.set(0);
  // Then the members, in reverse: lanes (joined), then sinks_ (the sinks first), while what their
  // late answers reach still lives.
}

Result<std::unique_ptr<Pipeline>> Pipeline::create(const PipelineConfig& config,
                                                   const AgentConfig& agent, BufferPool& pool,
                                                   std::shared_ptr<MetricsRegistry> metrics,
                                                   bool once) {
  const size_t known = metrics->declaration_errors().size();
  std::unique_ptr<Pipeline> p(new Pipeline(config, agent, pool, std::move(metrics), once));
  if (Status st = p->build(config); !st) return st;
  // A metric made unlike its declaration is a defect of the program: say so, but run.
  const std::vector<std::string> errors = p->metrics_->declaration_errors();
  for (size_t i = known; i < errors.size(); ++i) {
    spdlog::error("pipeline {}: metric {}", p->name_, errors[i]);
  }
  return p;
}

std::string Pipeline::not_ready() const {
  if (!started_.load(std::memory_order_acquire)) return "not started";
  std::string out;
  auto add = [&](const std::string& why) { out += (out.empty() ? "" : "; ") + why; };
  {
    std::lock_guard lock(health_mu_);
    if (!stopped_reason_.empty()) add("stopped: " + stopped_reason_);
  }
  if (std::string why = checkpointer_.problem(); !why.empty()) {
    add("checkpoint not written: " + why);
  }
  if (std::string why = sinks_.not_ready(); !why.empty()) add(why);
  return out;
}

Status Pipeline::start() {
  std::error_code ec;
  std::filesystem::create_directories(agent_.data_dir, ec);
  if (ec) return Status::error("data_dir " + agent_.data_dir + ": " + ec.message());
  auto loaded = exactly_once_ ? load_committed() : checkpointer_.load();
  if (!loaded) return Status::error(loaded.message());
  saved_ = std::move(loaded.value());
  acks_.seed_unclaimed(saved_);  // kept in every checkpoint until claimed or expired
  if (exactly_once_) {
    std::lock_guard lock(commit_mu_);
    eos_seeded_ = true;
  }
  register_samplers();
  for (auto& lane : lanes_) lane->start();
  checkpointer_.start();
  sinks_.start();
  input_thread_ = std::jthread([this] {
    input_->run(*this);
    if (once_) end_sources();
    input_finished_.store(true, std::memory_order_release);
  });
  started_.store(true, std::memory_order_release);
  ran_.store(true, std::memory_order_release);
  return Status::ok();
}

bool Pipeline::emit(BatchPtr batch) {
  Lane& lane = *lanes_[batch->state->id() % lanes_.size()];
  const auto lines = static_cast<double>(batch->events.size());
  const auto bytes = batch->bytes();
  acks_.emitted(*batch);
  if (taps_->active(0)) taps_->offer(0, *batch);
  if (!lane.push(std::move(batch), input_stop_.get_token())) {
    acks_.completed(*batch, false);  // not accepted: its bytes are read again after a restart
    return false;
  }
  lines_read_.fetch_add(static_cast<uint64_t>(lines), std::memory_order_relaxed);
  bytes_read_.fetch_add(bytes, std::memory_order_relaxed);
  lines_total_.add(lines);
  bytes_total_.add(static_cast<double>(bytes));
  return true;
}

void Pipeline::end_source(SourceState& s) {
  if (!carrying_) return;
  BatchPtr batch = acks_.source_end_batch(s);
  if (batch->state == nullptr) return;  // not a source of this pipeline's tracker
  Lane& lane = *lanes_[batch->state->id() % lanes_.size()];
  acks_.emitted(*batch);
  // Not accepted (stopping): a stage's carried bytes stay uncommitted and are read again.
  if (!lane.push(std::move(batch), input_stop_.get_token())) acks_.completed(*batch, false);
}

void Pipeline::end_sources() {
  if (!carrying_) return;
  for (const std::shared_ptr<SourceState>& s : acks_.open_sources()) end_source(*s);
}

void Pipeline::stop_for(const std::string& sink, std::string_view why) {
  {
    std::lock_guard lock(health_mu_);
    if (!stopped_reason_.empty()) return;
    stopped_reason_ = "sink " + sink + " rejected a batch: " + std::string(why);
  }
  spdlog::error(
      "pipeline {}: sink {} rejected a batch for good: {}; the pipeline stops reading. That batch "
      "is not checkpointed: fix the cause, then reload (SIGHUP) or restart to read it again",
      name_, sink, why);
  input_stop_.request_stop();
}

bool Pipeline::shutdown(std::chrono::steady_clock::time_point deadline) {
  started_.store(false, std::memory_order_release);
  taps_->close("pipeline stopped");
  if (!ran_.load(std::memory_order_acquire)) return true;  // never started: nothing to write
  input_stop_.request_stop();
  if (input_thread_.joinable()) input_thread_.join();
  // exactly_once after a failed transaction: nothing acknowledged from now on can be committed,
  // so the sinks give up at once instead of retrying until the deadline (a restart waits on it).
  if (restart_wanted()) abort_.request_stop();
  // Past the deadline, sinks give up what they still retry; their batches stay uncommitted.
  std::jthread timer([this, deadline](std::stop_token st) {
    if (sleep_until(st, deadline)) abort_.request_stop();
  });
  for (auto& lane : lanes_) lane->close();
  for (auto& lane : lanes_) lane->join();
  sinks_.flush(deadline);
  while (!settled() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!settled()) {
    spdlog::warn(
        "pipeline {}: {} batches not acknowledged by the shutdown deadline; they are "
        "not checkpointed and will be read again",
        name_, acks_.in_flight());
    abort_.request_stop();
  }
  // Retries left now are given up (the deadline passed): not checkpointed, read again later.
  sinks_.stop_retries();
  timer.request_stop();
  checkpointer_.stop();
  // exactly_once: the sink committed at flush() what it could (committed() wrote the file);
  // what is acknowledged beyond it is not in the output, so it is never written here.
  if (exactly_once_) return true;
  if (!checkpointer_.save()) {  // no retry after this one: say so, even if the cause was logged
    spdlog::error(
        "pipeline {}: final checkpoint not written ({}); what was delivered since the last "
        "checkpoint will be read again after a restart",
        name_, checkpointer_.last_error());
    return false;
  }
  return true;
}

void Pipeline::unread(const std::string& path, const std::string& why) {
  spdlog::error("pipeline {}: {} was not read: {}", name_, path, why);
  std::lock_guard lock(health_mu_);
  unread_.push_back(path + ": " + why);
}

PipelineStats Pipeline::stats() const {
  PipelineStats s;
  {
    std::lock_guard lock(health_mu_);
    s.unread = unread_;
  }
  s.lines_read = lines_read_.load(std::memory_order_relaxed);
  s.bytes_read = bytes_read_.load(std::memory_order_relaxed);
  s.events_acked = acknowledger_.events_acked();
  s.events_failed = acknowledger_.events_failed();
  s.bytes_behind = acks_.bytes_behind();
  s.files = acks_.sources();
  return s;
}

void Pipeline::register_samplers() {
  std::vector<Gauge> depth;
  for (const auto& q : queue_names_) {
    depth.push_back(scope_.gauge(kQueueDepth, {{"stage", q}}));
  }
  Gauge behind = scope_.gauge(kInputBytesBehind);
  Gauge age = scope_.gauge(kPipelineOldestUnackedAge);
  Gauge in_flight = scope_.gauge(kPipelineBatchesInFlight);
  Gauge checkpoint_age = scope_.gauge(kCheckpointAge);
  sampled_ = depth;
  sampled_.insert(sampled_.end(), {behind, age, in_flight, checkpoint_age});
  sampler_ids_.push_back(
      metrics_->add_sampler([this, depth, behind, age, in_flight, checkpoint_age] {
        for (size_t q = 0; q < depth.size(); ++q) {
          size_t total = 0;
          for (const auto& lane : lanes_) total += lane->depth(q);
          depth[q].set(static_cast<double>(total));
        }
        const int64_t now = mono_now_ns();
        behind.set(static_cast<double>(acks_.bytes_behind()));
        age.set(static_cast<double>(acks_.oldest_unacked_age_ns(now)) / 1e9);
        in_flight.set(static_cast<double>(acks_.in_flight()));
        checkpoint_age.set(static_cast<double>(checkpointer_.age_ns(now)) / 1e9);
      }));
}

}  // namespace logagent
