#include "agent/pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "agent/pipeline/encode_stage.h"

namespace logagent {
namespace {

int64_t mono_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "file", "file", "null" → "file", "file_2", "null": sink/stage labels stay unique and bounded.
std::vector<std::string> unique_labels(const std::vector<PluginConfig>& plugins) {
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const auto& p : plugins) {
    const int n = ++seen[p.type];
    out.push_back(n == 1 ? p.type : p.type + "_" + std::to_string(n));
  }
  return out;
}

}  // namespace

// A batch's way through the pipeline's sinks (Batch's private counters, befriended): every sink
// answers once; the last answer finishes the batch, failed if any sink failed it.
class SinkFanout {
 public:
  static void start(Batch& b, size_t sinks) {
    b.failed_.store(false, std::memory_order_relaxed);
    b.pending_sinks_.store(static_cast<uint32_t>(sinks), std::memory_order_relaxed);
  }
  static void fail(Batch& b) { b.failed_.store(true, std::memory_order_relaxed); }
  // True for the last sink to answer. acq_rel: that sink sees every other sink's fail().
  static bool settle(Batch& b) {
    return b.pending_sinks_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }
  static bool failed(const Batch& b) { return b.failed_.load(std::memory_order_relaxed); }
};

std::vector<std::string> agent_outputs(const AgentConfig& agent) {
  std::vector<std::string> out;
  std::error_code ec;
  const auto data_dir = std::filesystem::absolute(agent.data_dir, ec).lexically_normal();
  if (!ec) out.push_back((data_dir / "*").string());  // checkpoints, dead-letter files, the lock
  for (const PipelineConfig& pc : agent.pipelines) {
    for (const PluginConfig& sink : pc.sinks) {
      if (sink.factory == nullptr || !sink.factory->writes) continue;
      for (std::string& p : sink.factory->writes(sink.options.get())) out.push_back(std::move(p));
    }
  }
  return out;
}

// One sink of the pipeline and the completion it hands out with every batch: it turns the sink's
// outcome into what the pipeline does (complete, write again later, stop).
class Pipeline::SinkSlot final : public BatchCompletion {
 public:
  SinkSlot(Pipeline* owner, std::unique_ptr<Sink> sink, std::string name, const MetricsScope& scope)
      : label(std::move(name)),
        owner_(owner),
        sink_(std::move(sink)),
        ok_(scope.counter("logagent_sink_events_total", "Events finished by a sink, by result",
                          {{"result", "ok"}})),
        error_(scope.counter("logagent_sink_events_total", "Events finished by a sink, by result",
                             {{"result", "error"}})),
        bytes_(scope.counter("logagent_sink_bytes_total",
                             "Bytes of input covered by batches a sink acknowledged")),
        retries_(scope.counter("logagent_sink_retries_total",
                               "Batches written to a sink again after it answered retry")),
        rejected_(scope.counter("logagent_sink_batches_rejected_total",
                                "Batches a sink rejected for good (the pipeline stops reading)")) {}

  Sink& sink() { return *sink_; }
  const std::string label;
  // Batches of this sink waiting to be written again (or being written again). While it is not
  // zero the lanes hold this sink's later batches, so a retried batch is never overtaken.
  std::atomic<uint32_t> retrying{0};
  // Retry answers since the last delivered batch: the backoff grows with it.
  std::atomic<uint32_t> failures{0};
  Counter& retries() { return retries_; }

  // Why the sink is failing now, for /ready (empty when it delivers).
  std::string failing() const {
    std::lock_guard lock(mu_);
    return failing_;
  }
  void set_failing(std::string_view why) {
    std::lock_guard lock(mu_);
    failing_.assign(why);
  }

  void sink_done(Batch* batch, SinkOutcome outcome, std::string_view why) override {
    switch (outcome) {
      case SinkOutcome::kDelivered:
        ok_.add(static_cast<double>(batch->live_events()));
        bytes_.add(static_cast<double>(batch->bytes()));
        if (failures.exchange(0, std::memory_order_acq_rel) > 0) {
          set_failing({});
          spdlog::info("pipeline {}: sink {} delivers again", owner_->name_, label);
        }
        break;
      case SinkOutcome::kRetry:
        if (owner_->schedule_retry(*this, batch, why)) return;  // written again later
        give_up(batch);  // shutdown deadline: not checkpointed, read again after a restart
        return;
      case SinkOutcome::kRejected:
        rejected_.inc();
        owner_->stop_for(*this, why);
        give_up(batch);
        return;
    }
    settle(batch);
  }

  // Finishes `batch` for this sink as not delivered.
  void give_up(Batch* batch) {
    error_.add(static_cast<double>(batch->live_events()));
    SinkFanout::fail(*batch);
    settle(batch);
  }

 private:
  void settle(Batch* batch) {
    if (SinkFanout::settle(*batch)) {
      owner_->finish_batch(batch);
    }
  }

  Pipeline* owner_;
  std::unique_ptr<Sink> sink_;
  Counter ok_, error_, bytes_, retries_, rejected_;
  mutable std::mutex mu_;
  std::string failing_;  // guarded by mu_
};

Pipeline::Pipeline(const PipelineConfig& config, const AgentConfig& agent, BufferPool& pool,
                   std::shared_ptr<MetricsRegistry> metrics, bool once)
    : name_(config.name),
      agent_(agent),
      pool_(pool),
      metrics_(std::move(metrics)),
      once_(once),
      scope_(metrics_, {{"pipeline", config.name}}),
      store_(agent.data_dir + "/" + config.name + ".checkpoint") {
  lines_total_ = scope_.counter("logagent_input_lines_total", "Lines (events) read from files");
  bytes_total_ = scope_.counter("logagent_input_bytes_total", "Bytes read from files");
  checkpoint_errors_ =
      scope_.counter("logagent_checkpoint_errors_total", "Checkpoint writes that failed");
  checkpoint_writes_ = scope_.counter("logagent_checkpoint_writes_total", "Checkpoints written");
  // Registered up front so that it reads 0, not absent, until a corrupt checkpoint is found.
  checkpoint_corrupt_ =
      scope_.counter("logagent_checkpoint_corrupt_total", "Checkpoint files found corrupt");
  checkpoint_expired_ = scope_.counter(
      "logagent_checkpoint_entries_expired_total",
      "Checkpoint entries of the previous run dropped after checkpoint_keep_unclaimed without a "
      "file claiming them");
  batches_failed_ = scope_.counter("logagent_pipeline_batches_failed_total",
                                   "Batches that a sink failed (their offsets are not committed)");
  latency_ = scope_.histogram("logagent_delivery_latency_seconds",
                              "Time from reading a batch to its acknowledgement by every sink",
                              {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120});
}

Pipeline::~Pipeline() {
  for (uint64_t id : sampler_ids_) metrics_->remove_sampler(id);
}

Result<std::unique_ptr<Pipeline>> Pipeline::create(const PipelineConfig& config,
                                                   const AgentConfig& agent, BufferPool& pool,
                                                   std::shared_ptr<MetricsRegistry> metrics,
                                                   bool once) {
  std::unique_ptr<Pipeline> p(new Pipeline(config, agent, pool, std::move(metrics), once));
  if (Status st = p->build(config); !st) return st;
  return p;
}

Status Pipeline::build(const PipelineConfig& config) {
  PluginContext ctx{name_, agent_.data_dir, scope_, config.workers, abort_.get_token(), {}};
  PluginContext input_ctx = ctx;
  input_ctx.agent_outputs = agent_outputs(agent_);
  auto input = config.input.factory->make_input(config.input.options.get(), input_ctx);
  if (!input) return Status::error(config.input.where + ": input: " + input.message());
  input_ = std::move(input.value());

  const auto sink_labels = unique_labels(config.sinks);
  std::vector<EncodeSpec> encodings;  // distinct, in sink order
  for (size_t i = 0; i < config.sinks.size(); ++i) {
    PluginContext sctx = ctx;
    sctx.metrics = scope_.with({{"sink", sink_labels[i]}});
    auto sink = config.sinks[i].factory->make_sink(config.sinks[i].options.get(), sctx);
    if (!sink) {
      return Status::error(config.sinks[i].where + ": sink " + sink_labels[i] + ": " +
                           sink.message());
    }
    if (auto spec = sink.value()->encoding();
        spec && std::find(encodings.begin(), encodings.end(), *spec) == encodings.end()) {
      encodings.push_back(*spec);
    }
    sinks_.push_back(
        std::make_unique<SinkSlot>(this, std::move(sink.value()), sink_labels[i], sctx.metrics));
  }

  queue_names_ = unique_labels(config.stages);
  // Sinks that want pre-encoded (compressed) batches get an encode step on its own thread.
  if (!encodings.empty()) queue_names_.push_back("encode");
  queue_names_.push_back("sinks");
  for (uint32_t lane = 0; lane < config.workers; ++lane) {
    std::vector<std::unique_ptr<Stage>> stages;
    for (const auto& sc : config.stages) {
      auto stage = sc.factory->make_stage(sc.options.get(), ctx);
      if (!stage) return Status::error(sc.where + ": stage " + sc.type + ": " + stage.message());
      stages.push_back(std::move(stage.value()));
    }
    if (!encodings.empty()) {
      stages.push_back(
          std::make_unique<EncodeStage>(encodings, scope_.with({{"stage", "encode"}})));
    }
    lanes_.push_back(std::make_unique<Lane>(std::move(stages), config.queue_size,
                                            [this](BatchPtr b) { sink_step(std::move(b)); }));
  }
  return Status::ok();
}

std::string Pipeline::not_ready() const {
  if (!started_.load(std::memory_order_acquire)) return "not started";
  std::string out;
  auto add = [&](const std::string& why) { out += (out.empty() ? "" : "; ") + why; };
  {
    std::lock_guard lock(health_mu_);
    if (!stopped_reason_.empty()) add("stopped: " + stopped_reason_);
    if (!checkpoint_problem_.empty()) add("checkpoint not written: " + checkpoint_problem_);
  }
  for (const auto& slot : sinks_) {
    if (std::string why = slot->failing(); !why.empty()) {
      add("sink " + slot->label + " retrying: " + why);
    } else if (std::string nr = slot->sink().not_ready(); !nr.empty()) {
      add("sink " + slot->label + ": " + nr);
    }
  }
  return out;
}

Status Pipeline::start() {
  std::error_code ec;
  std::filesystem::create_directories(agent_.data_dir, ec);
  if (ec) return Status::error("data_dir " + agent_.data_dir + ": " + ec.message());
  auto loaded = store_.load();
  if (!loaded) return Status::error(loaded.message());
  if (!loaded->problem.empty()) {
    spdlog::error("pipeline {}: {}; starting as on a first run", name_, loaded->problem);
    checkpoint_corrupt_.inc();
  }
  saved_ = std::move(loaded->entries);
  acks_.seed_unclaimed(saved_);  // kept in every checkpoint until claimed or expired
  register_samplers();
  for (auto& lane : lanes_) lane->start();
  checkpoint_thread_ = std::jthread([this](std::stop_token st) { checkpoint_loop(st); });
  retry_thread_ = std::jthread([this](std::stop_token st) { retry_loop(st); });
  input_thread_ = std::jthread([this] {
    input_->run(*this);
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

void Pipeline::sink_step(BatchPtr batch) {
  Batch* b = batch.release();
  SinkFanout::start(*b, sinks_.size());
  for (auto& slot : sinks_) {
    if (slot->retrying.load(std::memory_order_acquire) > 0) {
      // Hold this batch while the sink retries an earlier one: order is kept, and backpressure
      // reaches the input. The shutdown deadline (abort) ends the wait.
      std::unique_lock lock(retry_mu_);
      retry_cv_.wait(lock, abort_.get_token(),
                     [&] { return slot->retrying.load(std::memory_order_acquire) == 0; });
    }
    slot->sink().write(*b, SinkAck(slot.get(), b));
  }
}

bool Pipeline::schedule_retry(SinkSlot& slot, Batch* batch, std::string_view why) {
  if (abort_.stop_requested()) return false;
  const uint32_t n = slot.failures.fetch_add(1, std::memory_order_acq_rel) + 1;
  // 50 ms, doubling, at most 5 s between attempts.
  const auto backoff = std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(50) * (1u << std::min<uint32_t>(n - 1, 7)),
      std::chrono::seconds(5));
  {
    std::lock_guard lock(retry_mu_);
    if (retry_closed_) return false;
    slot.retrying.fetch_add(1, std::memory_order_acq_rel);
    retry_queue_.push_back({&slot, batch, std::chrono::steady_clock::now() + backoff});
  }
  retry_cv_.notify_all();
  slot.retries().inc();
  if (slot.failing() != why) {
    spdlog::warn("pipeline {}: sink {}: {}; writing the batch again (attempt {}, then backing off)",
                 name_, slot.label, why, n + 1);
  }
  slot.set_failing(why.empty() ? "retrying" : why);
  return true;
}

void Pipeline::retry_loop(std::stop_token stop) {
  // The shutdown deadline wakes the loop too.
  std::stop_callback on_abort(abort_.get_token(), [this] { retry_cv_.notify_all(); });
  std::unique_lock lock(retry_mu_);
  while (true) {
    const bool ending = stop.stop_requested() || abort_.stop_requested();
    if (ending) {
      retry_closed_ = true;
      if (retry_queue_.empty()) break;
    } else if (retry_queue_.empty()) {
      retry_cv_.wait(lock, stop, [&] { return !retry_queue_.empty() || abort_.stop_requested(); });
      continue;
    } else if (std::chrono::steady_clock::now() < retry_queue_.front().due) {
      const auto due = retry_queue_.front().due;
      retry_cv_.wait_until(lock, stop, due, [&] { return abort_.stop_requested(); });
      continue;
    }
    RetryEntry e = retry_queue_.front();
    retry_queue_.pop_front();
    lock.unlock();
    if (ending) {
      e.slot->give_up(e.batch);
    } else {
      e.slot->sink().write(*e.batch, SinkAck(e.slot, e.batch));
    }
    e.slot->retrying.fetch_sub(1, std::memory_order_acq_rel);
    lock.lock();
    retry_cv_.notify_all();  // lanes held behind this sink
  }
}

void Pipeline::stop_for(SinkSlot& slot, std::string_view why) {
  {
    std::lock_guard lock(health_mu_);
    if (!stopped_reason_.empty()) return;
    stopped_reason_ = "sink " + slot.label + " rejected a batch: " + std::string(why);
  }
  spdlog::error(
      "pipeline {}: sink {} rejected a batch for good: {}; the pipeline stops reading. That batch "
      "is not checkpointed: fix the cause, then reload (SIGHUP) or restart to read it again",
      name_, slot.label, why);
  input_stop_.request_stop();
}

void Pipeline::finish_batch(Batch* batch) {
  const bool ok = !SinkFanout::failed(*batch);
  acks_.completed(*batch, ok);
  const auto events = batch->events.size();
  if (ok) {
    events_acked_.fetch_add(events, std::memory_order_relaxed);
  } else {
    events_failed_.fetch_add(events, std::memory_order_relaxed);
    batches_failed_.inc();
  }
  latency_.observe(static_cast<double>(mono_now_ns() - batch->read_mono_ns) / 1e9);
  delete batch;  // returns its chunks to the pool
}

void Pipeline::checkpoint_loop(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  while (!stop.stop_requested()) {
    cv.wait_for(lock, stop, agent_.checkpoint_interval.value, [] { return false; });
    if (stop.stop_requested()) break;
    save_checkpoint();
  }
}

bool Pipeline::save_checkpoint() {
  // A pipeline that never started has loaded nothing: writing would replace the checkpoint of
  // the previous run with an empty one.
  if (!ran_.load(std::memory_order_acquire)) return true;
  std::lock_guard lock(checkpoint_mu_);
  const int64_t keep =
      std::chrono::duration_cast<std::chrono::nanoseconds>(agent_.checkpoint_keep_unclaimed.value)
          .count();
  for (const CheckpointEntry& e : acks_.expire_unclaimed(mono_now_ns(), keep)) {
    checkpoint_expired_.inc();
    spdlog::warn(
        "pipeline {}: checkpoint entry of {} (offset {}) dropped: no file claimed it for "
        "checkpoint_keep_unclaimed",
        name_, e.path, e.offset);
  }
  const auto entries = acks_.snapshot();
  std::string text = CheckpointStore::serialize(entries);
  if (text == last_saved_) {
    checkpoint_current_ns_.store(mono_now_ns(), std::memory_order_relaxed);
    return true;
  }
  if (Status st = store_.save(entries); !st) {
    checkpoint_errors_.inc();
    {
      std::lock_guard hlock(health_mu_);
      checkpoint_problem_ = st.message();
    }
    if (st.message() != last_error_) {
      spdlog::error("pipeline {}: checkpoint not written (will retry): {}", name_, st.message());
      last_error_ = st.message();
    }
    return false;
  }
  if (!last_error_.empty()) spdlog::info("pipeline {}: checkpoint written again", name_);
  last_error_.clear();
  {
    std::lock_guard hlock(health_mu_);
    checkpoint_problem_.clear();
  }
  last_saved_ = std::move(text);
  checkpoint_writes_.inc();
  checkpoint_current_ns_.store(mono_now_ns(), std::memory_order_relaxed);
  return true;
}

bool Pipeline::shutdown(std::chrono::steady_clock::time_point deadline) {
  started_.store(false, std::memory_order_release);
  if (!ran_.load(std::memory_order_acquire)) return true;  // never started: nothing to write
  input_stop_.request_stop();
  if (input_thread_.joinable()) input_thread_.join();
  // Past the deadline, sinks give up what they still retry; their batches stay uncommitted.
  std::jthread timer([this, deadline](std::stop_token st) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    if (!cv.wait_until(lock, st, deadline, [] { return false; })) abort_.request_stop();
  });
  for (auto& lane : lanes_) lane->close();
  for (auto& lane : lanes_) lane->join();
  for (auto& slot : sinks_) {
    if (Status st = slot->sink().flush(deadline); !st) {
      spdlog::error("pipeline {}: sink flush: {}", name_, st.message());
    }
  }
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
  retry_thread_.request_stop();
  if (retry_thread_.joinable()) retry_thread_.join();
  timer.request_stop();
  checkpoint_thread_.request_stop();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  if (!save_checkpoint()) {  // no retry after this one: say so, even if the cause was logged
    spdlog::error(
        "pipeline {}: final checkpoint not written ({}); what was delivered since the last "
        "checkpoint will be read again after a restart",
        name_, last_error_);
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
  s.events_acked = events_acked_.load(std::memory_order_relaxed);
  s.events_failed = events_failed_.load(std::memory_order_relaxed);
  s.bytes_behind = acks_.bytes_behind();
  s.files = acks_.sources();
  return s;
}

void Pipeline::register_samplers() {
  std::vector<Gauge> depth;
  for (const auto& q : queue_names_) {
    depth.push_back(
        scope_.gauge("logagent_queue_depth", "Batches waiting in SPSC queues", {{"stage", q}}));
  }
  Gauge behind = scope_.gauge("logagent_input_bytes_behind",
                              "File bytes not yet acknowledged (size minus committed offset)");
  Gauge age = scope_.gauge("logagent_oldest_unacked_age_seconds",
                           "Age of the oldest batch read and not yet acknowledged");
  Gauge in_flight = scope_.gauge("logagent_batches_in_flight", "Batches read, not yet settled");
  Gauge checkpoint_age =
      scope_.gauge("logagent_checkpoint_age_seconds",
                   "Seconds since the checkpoint file last matched what was acknowledged (grows "
                   "while checkpoint writes fail)");
  checkpoint_current_ns_.store(mono_now_ns(), std::memory_order_relaxed);
  sampler_ids_.push_back(
      metrics_->add_sampler([this, depth, behind, age, in_flight, checkpoint_age] {
        for (size_t q = 0; q < depth.size(); ++q) {
          size_t total = 0;
          for (const auto& lane : lanes_) total += lane->depth(q);
          depth[q].set(static_cast<double>(total));
        }
        behind.set(static_cast<double>(acks_.bytes_behind()));
        age.set(static_cast<double>(acks_.oldest_unacked_age_ns(mono_now_ns())) / 1e9);
        in_flight.set(static_cast<double>(acks_.in_flight()));
        const int64_t since = checkpoint_current_ns_.load(std::memory_order_relaxed);
        checkpoint_age.set(static_cast<double>(mono_now_ns() - since) / 1e9);
      }));
}

}  // namespace logagent
