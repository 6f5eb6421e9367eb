// Pipeline: one configured input, its lanes of stages, and its sinks, with the acknowledgement
// and checkpoint machinery that makes delivery at-least-once. Its parts, along the data path:
//
//   input ──emit()──▶ AckTracker::emitted ──▶ Lane (stages, encode step)   lane.h
//     ──▶ SinkSet::write: every sink, retries, rejections                  sink_fanout.h
//     ──▶ Acknowledger::finish: AckTracker::completed, counts, frees        acknowledger.h
//     ──▶ Checkpointer: the committed offsets to the checkpoint file        checkpointer.h
//
// pipeline_builder.cc makes the plugins from the configuration (unique stage and sink labels).
// Tap points (tap_hub.h, `logagent tap`): emit() offers each batch at point 0 and the lanes after
// each configured stage, only while a tap is attached there.
//
// Life cycle (driven by the supervisor): create() builds every plugin (no thread yet); start()
// loads the checkpoint and starts the lanes, the checkpoint thread and the input thread;
// shutdown() stops the input, drains the lanes, flushes the sinks, waits for acknowledgements
// until the deadline and writes the final checkpoint.
//
// The pipeline is the InputContext of its input: emit() routes a batch to the lane of its source
// (source id modulo lanes) after recording it in the AckTracker.
//
// delivery: exactly_once (exactly_once.cc): the pipeline is also the CheckpointSource of its one
// sink, whose TransactionalSink is begun in start() before anything is loaded: the checkpoint the
// sink committed last is the one loaded (none: the local file). Only what the sink commits is
// written to the local file. A failed transaction stops the pipeline (restart_wanted()); the
// supervisor then builds and starts it again, from the committed checkpoint.
//
// Threads: start/shutdown/stats from the supervisor thread; emit() from the input thread;
// sink acknowledgements from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/api/plugin.h"
#include "agent/config/config.h"
#include "agent/core/buffer_pool.h"
#include "agent/metrics/metrics_registry.h"
#include "agent/pipeline/ack_tracker.h"
#include "agent/pipeline/acknowledger.h"
#include "agent/pipeline/checkpointer.h"
#include "agent/pipeline/lane.h"
#include "agent/pipeline/sink_fanout.h"
#include "agent/pipeline/tap_hub.h"

namespace logagent {

// The pipeline's own metrics (pipeline.cc); its parts declare theirs next to them (lane.h,
// sink_fanout.h, acknowledger.h, checkpointer.h, encode_stage.h).
inline constexpr MetricDef kInputLines{"logagent_input_lines_total", MetricKind::kCounter,
                                       "pipeline", "Lines (events) read from files"};
inline constexpr MetricDef kInputBytes{"logagent_input_bytes_total", MetricKind::kCounter,
                                       "pipeline", "Bytes read from files"};
inline constexpr MetricDef kInputBytesBehind{
    "logagent_input_bytes_behind", MetricKind::kGauge, "pipeline",
    "File bytes not yet acknowledged (size minus committed offset)"};
inline constexpr MetricDef kQueueDepth{
    "logagent_queue_depth", MetricKind::kGauge, "pipeline,stage",
    "Batches waiting in each SPSC queue, summed over the lanes (stage: the queue's consumer; "
    "\"encode\" and \"sinks\" for the lane's own steps)"};
inline constexpr MetricDef kPipelineOldestUnackedAge{
    "logagent_pipeline_oldest_unacked_age_seconds", MetricKind::kGauge, "pipeline",
    "Age of the oldest batch read and not yet acknowledged"};
inline constexpr MetricDef kPipelineBatchesInFlight{"logagent_pipeline_batches_in_flight",
                                                    MetricKind::kGauge, "pipeline",
                                                    "Batches read and not yet settled"};
inline constexpr MetricDef kPipelineMetrics[] = {kInputLines,
                                                 kInputBytes,
                                                 kInputBytesBehind,
                                                 kQueueDepth,
                                                 kPipelineOldestUnackedAge,
                                                 kPipelineBatchesInFlight};

struct PipelineStats {
  uint64_t lines_read = 0;
  uint64_t bytes_read = 0;
  uint64_t events_acked = 0;   // events of batches every sink acknowledged
  uint64_t events_failed = 0;  // events of batches some sink failed
  uint64_t bytes_behind = 0;
  size_t files = 0;
  std::vector<std::string> unread;  // --once: "PATH: why" of files the input could not read
};

// fnmatch patterns of the absolute paths the agent writes: its data_dir and every sink's output
// (PluginFactory::writes). No input reads them.
std::vector<std::string> agent_outputs(const AgentConfig& agent);

class Pipeline final : public InputContext, public CheckpointSource {
 public:
  static Result<std::unique_ptr<Pipeline>> create(const PipelineConfig& config,
                                                  const AgentConfig& agent, BufferPool& pool,
                                                  std::shared_ptr<MetricsRegistry> metrics,
                                                  bool once);
  // A pipeline started and not shut down is shut down with no time left (nothing acknowledged
  // late is lost: it is not checkpointed and is read again).
  ~Pipeline() override;

  const std::string& name() const { return name_; }
  Status start();
  // The input thread has returned (in --once mode: every file was read).
  bool input_finished() const { return input_finished_.load(std::memory_order_acquire); }
  // Everything accepted so far is settled (acknowledged or failed).
  bool settled() const { return acks_.in_flight() == 0; }
  // Stops reading, drains and flushes within `deadline`, writes the final checkpoint. False when
  // that checkpoint could not be written. A pipeline that never started writes nothing.
  bool shutdown(std::chrono::steady_clock::time_point deadline);
  // start() succeeded, shutdown() has not run yet, and no sink stopped it (a rejected batch).
  bool running() const {
    if (!started_.load(std::memory_order_acquire)) return false;
    std::lock_guard lock(health_mu_);
    return stopped_reason_.empty();
  }
  PipelineStats stats() const;
  // Empty when the pipeline runs and every sink can deliver; else why not (GET /ready).
  std::string not_ready() const;
  // exactly_once: the sink's transaction failed (failed()), or start() could not begin the sink's
  // transactions (the cluster away); the pipeline stopped reading, or never started, and must be
  // built and started again, from the committed checkpoint.
  bool restart_wanted() const { return restart_wanted_.load(std::memory_order_acquire); }
  // Where `logagent tap` attaches (tap_hub.h); closed by shutdown() and the destructor.
  const std::shared_ptr<TapHub>& taps() const { return taps_; }

  // InputContext
  BufferPool& pool() override { return pool_; }
  SourceTracker& sources() override { return sources_; }
  AckTracker& acks() { return acks_; }
  const std::vector<CheckpointEntry>& saved_checkpoints() const override { return saved_; }
  bool emit(BatchPtr batch) override;
  bool once() const override { return once_; }
  void unread(const std::string& path, const std::string& why) override;
  std::stop_token stop_token() const override { return input_stop_.get_token(); }
  bool save_checkpoint() override { return !exactly_once_ && checkpointer_.save(); }

  // CheckpointSource (delivery: exactly_once; exactly_once.cc). After failed(), checkpoint_text()
  // gives the last committed text: nothing acknowledged since then counts as delivered.
  std::string checkpoint_text() override;
  void committed(const std::string& text) override;
  void failed(const std::string& why) override;

 private:
  Pipeline(const PipelineConfig& config, const AgentConfig& agent, BufferPool& pool,
           std::shared_ptr<MetricsRegistry> metrics, bool once);
  Status build(const PipelineConfig& config);  // pipeline_builder.cc
  // A sink rejected a batch: stop reading, say why (/ready, log).
  void stop_for(const std::string& sink, std::string_view why);
  void register_samplers();
  // exactly_once: begins the sink's transactions and returns the checkpoint to start from (the
  // committed one, else the local file); an error keeps the pipeline from starting.
  Result<std::vector<CheckpointEntry>> load_committed();
  // exactly_once, when the sink committed nothing: the local checkpoint file (warned about and
  // counted when it has entries: the committed copy is gone).
  Result<std::vector<CheckpointEntry>> load_local();

  // The input's SourceTracker: the AckTracker's, except that forget() first sends the source's
  // lane a source_end batch when a stage carries events between batches (Stage::carries()).
  class Sources final : public SourceTracker {
   public:
    explicit Sources(Pipeline& p) : p_(p) {}
    using SourceTracker::open;
    std::shared_ptr<SourceState> open(const FileIdentity& id, std::string path, uint64_t offset,
                                      std::string position) override {
      return p_.acks_.open(id, std::move(path), offset, std::move(position));
    }
    void update(SourceState& s, const FileIdentity& id, const std::string& path) override {
      p_.acks_.update(s, id, path);
    }
    uint64_t restart(SourceState& s, uint64_t offset) override {
      return p_.acks_.restart(s, offset);
    }
    void forget(SourceState& s) override {
      p_.end_source(s);
      p_.acks_.forget(s);
    }

   private:
    Pipeline& p_;
  };
  // On the input thread: sends `s`'s lane its source_end batch, if a stage carries.
  void end_source(SourceState& s);
  // On the input thread after --once read everything: end_source() for every source.
  void end_sources();

  // Declared in the order of their lives: what a sink's late answer touches (the trackers,
  // counters and health state) is declared before sinks_, so it outlives the sinks.
  const std::string name_;
  const AgentConfig& agent_;
  BufferPool& pool_;
  std::shared_ptr<MetricsRegistry> metrics_;
  const bool once_;
  MetricsScope scope_;
  std::stop_source abort_;       // drain deadline passed: sinks give up
  std::stop_source input_stop_;  // stop reading
  AckTracker acks_;
  Sources sources_{*this};
  bool carrying_ = false;  // a stage carries events between batches (set by build())
  // Tap points (set by build()); outlives lanes_, which offer to it.
  std::shared_ptr<TapHub> taps_ = std::make_shared<TapHub>(std::vector<std::string>{});
  Acknowledger acknowledger_;
  Checkpointer checkpointer_;
  std::vector<CheckpointEntry> saved_;
  mutable std::mutex health_mu_;
  // guarded by health_mu_: a sink rejected a batch, or its transaction failed
  std::string stopped_reason_;
  std::vector<std::string> unread_;  // guarded by health_mu_: --once, files not read
  const bool exactly_once_;
  Sink* eos_sink_ = nullptr;    // exactly_once: the one sink (owned by sinks_)
  std::string eos_sink_type_;   // its type, for messages
  std::mutex commit_mu_;        // exactly_once: serializes the CheckpointSource calls
  std::string last_committed_;  // guarded by commit_mu_: the text loaded or committed last
  bool eos_seeded_ = false;     // guarded by commit_mu_: start() seeded the AckTracker
  std::atomic<bool> restart_wanted_{false};
  std::atomic<uint64_t> lines_read_{0};
  std::atomic<uint64_t> bytes_read_{0};
  Counter lines_total_, bytes_total_;

  std::unique_ptr<Input> input_;
  SinkSet sinks_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // their sink steps write to sinks_
  std::vector<std::string> queue_names_;
  std::vector<uint64_t> sampler_ids_;
  std::vector<Gauge> sampled_;  // what the samplers set: zeroed once nothing samples them
  std::jthread input_thread_;
  std::atomic<bool> input_finished_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> ran_{false};  // start() succeeded once: checkpoints may be written
};

}  // namespace logagent
