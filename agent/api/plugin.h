// Plugin interfaces: Input, Stage and Sink, and what the core hands each of them.
//
// A plugin is a type P with `static constexpr std::string_view kName`, a nested `Options` struct
// whose `static const Schema<Options>& schema()` declares its keys, and
// `static Result<std::unique_ptr<Input|Stage|Sink>> create(const Options&, const PluginContext&)`.
// Each plugin registers itself in its register.cc; the core never names one. A sink whose
// transactional() is non-null declares `static constexpr bool kExactlyOnce = true` too, so that
// the configuration can accept it under delivery: exactly_once before anything starts.
//
// Ownership and threads:
// - Input::run() runs on the pipeline's input thread, the only producer of every lane's first
//   queue. It reads into chunks from ctx.pool() and hands batches to ctx.emit().
// - Stage::process() runs on its own lane thread; a stage instance serves exactly one lane.
// - Sink::write() is called from the sink thread of every lane (and from the pipeline's retry
//   thread), so a sink shared by several lanes must be thread-safe. It must answer the SinkAck
//   exactly once with an outcome, possibly later and from another thread; a SinkAck destroyed
//   without an answer counts as kRetry (never a leak, never a silent loss).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/encoding.h"
#include "agent/api/metrics.h"
#include "agent/api/source.h"
#include "agent/api/status.h"

namespace logagent {

struct PluginContext {
  std::string pipeline;  // pipeline name
  std::string data_dir;  // where state may be kept
  // Labelled {pipeline}, plus {sink} for a sink and {stage} for a stage: the plugin's label,
  // unique within the pipeline ("json", "json_2"). A stage that names its own default uses
  // with_default(), so this label wins.
  MetricsScope metrics;
  size_t lanes = 1;  // number of lanes (workers) of the pipeline
  // Triggered when the shutdown drain deadline passes: give up retries, fail what is pending.
  std::stop_token abort;
  // Inputs: fnmatch patterns of absolute paths the agent itself writes (every sink's output, the
  // data_dir). An input must never read them: an agent reading its own output loops forever.
  std::vector<std::string> agent_outputs;
};

// The agent's buffer pool (memory.buffer_pool, memory.chunk_size), as an input sees it when the
// configuration is checked.
struct PoolSettings {
  uint64_t buffer_pool = 0;
  uint64_t chunk_size = 0;
};

// An option a plugin cannot honour as written, though it works: the option's key path in the
// plugin's map ("max_line_bytes", "multiline.max_bytes") and what applies instead. `logagent
// validate` reports it as a warning at the option's position.
struct OptionWarning {
  std::string option;
  std::string message;
};

class InputContext {
 public:
  virtual ~InputContext() = default;
  virtual BufferPool& pool() = 0;
  virtual SourceTracker& sources() = 0;  // agent/api/source.h
  // Entries saved by the previous run of this pipeline (empty on the first run).
  virtual const std::vector<CheckpointEntry>& saved_checkpoints() const = 0;
  // Hands `batch` (non-empty range, state and source set) to the lane of its source, waiting
  // while that lane is full. False when the pipeline is stopping: the batch was not accepted and
  // its bytes will be read again after a restart.
  virtual bool emit(BatchPtr batch) = 0;
  // --once: read every matched file to its end, then return from run().
  virtual bool once() const = 0;
  // --once: a matched file the input could not read at all (e.g. cannot open: Permission
  // denied). The run's summary names it and the run exits non-zero: nothing fails silently.
  virtual void unread(const std::string& path, const std::string& why) {
    (void)path;
    (void)why;
  }
  virtual std::stop_token stop_token() const = 0;
  // Writes the pipeline's checkpoint now, as every source's entry stands (its offset or position
  // as SourceTracker::open() set it or acknowledgements moved it), rather than at the next
  // checkpoint_interval. For an input that chose a source's start point now and would not choose
  // the same one after a restart (journald's read_from: tail): called after open() and before the
  // first emit(), it lets a restart before the first acknowledgement -- a kill -9 included --
  // start there too. False when nothing was written: the write failed (it is tried again at the
  // next interval), or the context keeps no checkpoint file of its own (the default; delivery:
  // exactly_once, whose checkpoint is what the sink committed).
  virtual bool save_checkpoint() { return false; }
};

class Input {
 public:
  virtual ~Input() = default;
  // Runs until ctx.stop_token() is triggered, or in --once mode until every file is read.
  virtual void run(InputContext& ctx) = 0;
};

class Stage {
 public:
  virtual ~Stage() = default;
  // Transforms a batch in place; may set kEventDropped on events. A stage that carries() may
  // also append events (what it carried, on a later batch of the same source).
  virtual void process(Batch& batch) = 0;
  // True for a stage that may carry events of a batch on to the source's next batch
  // (Batch::carried_from): the pipeline then sends every source's lane a source_end batch when
  // the source ends, on which the stage emits what it still carries.
  virtual bool carries() const { return false; }
};

// What a sink says about one batch. The pipeline, not the sink, decides what follows:
// - kDelivered: every live event is where the sink puts it (durably, where the sink promises it).
// - kRetry: nothing may be assumed delivered; it may work later (disk full, EIO, a reader gone,
//   a producer re-created). The pipeline writes the same batch to this sink again after a backoff
//   (and holds that sink's later batches meanwhile, so order is kept), until it is delivered or
//   the shutdown deadline passes -- then it is not checkpointed and is read again after a restart.
//   A sink answering kRetry must leave no part of the batch behind where it can (a torn record).
// - kRejected: it can never be delivered, and the sink has no dead-letter place for it (or that
//   failed). The pipeline stops reading, says why in /ready (503) and the log, and leaves the
//   batch uncheckpointed: a restart after the cause is fixed reads it again. Never a silent freeze.
enum class SinkOutcome { kDelivered, kRetry, kRejected };

// Completes a batch for one sink. Implemented by the pipeline.
class BatchCompletion {
 public:
  virtual ~BatchCompletion() = default;
  // `why` says what failed (kRetry, kRejected): it is logged and shown by /ready.
  virtual void sink_done(Batch* batch, SinkOutcome outcome, std::string_view why) = 0;
};

class SinkAck {
 public:
  SinkAck(BatchCompletion* completion, Batch* batch) : completion_(completion), batch_(batch) {}
  SinkAck(SinkAck&& o) noexcept
      : completion_(std::exchange(o.completion_, nullptr)), batch_(o.batch_) {}
  SinkAck& operator=(SinkAck&&) = delete;
  SinkAck(const SinkAck&) = delete;
  ~SinkAck() {
    if (completion_ != nullptr) {
      completion_->sink_done(batch_, SinkOutcome::kRetry, "the sink dropped the batch unanswered");
    }
  }
  void done(SinkOutcome outcome, std::string_view why = {}) {
    if (completion_ != nullptr)
      std::exchange(completion_, nullptr)->sink_done(batch_, outcome, why);
  }
  void delivered() { done(SinkOutcome::kDelivered); }
  void retry(std::string_view why) { done(SinkOutcome::kRetry, why); }
  void rejected(std::string_view why) { done(SinkOutcome::kRejected, why); }

 private:
  BatchCompletion* completion_;
  Batch* batch_;
};

// delivery: exactly_once (a pipeline with one sink that offers it). The pipeline's side, given
// to the sink: the sink commits the pipeline's checkpoint in the same transaction as the batches
// it covers. Thread-safe.
class CheckpointSource {
 public:
  virtual ~CheckpointSource() = default;
  // The checkpoint (CheckpointStore's text) of every batch acknowledged so far. The sink calls it
  // while it takes no write and every batch written is answered, so it covers exactly the
  // batches of the open transaction and those before.
  virtual std::string checkpoint_text() = 0;
  // `text` was committed with its batches: the pipeline keeps a local copy (a cache).
  virtual void committed(const std::string& text) = 0;
  // The open transaction was aborted, or the sink was fenced by another instance: what was
  // acknowledged since the last commit is not in the output. The pipeline stops and starts again
  // from the committed checkpoint (`why` is logged and shown by /ready meanwhile).
  virtual void failed(const std::string& why) = 0;
};

// A sink that can deliver exactly once (see CheckpointSource).
class TransactionalSink {
 public:
  virtual ~TransactionalSink() = default;
  // Called once, before the input starts and before any write(): fences older instances of this
  // pipeline's sink, aborts what they left open, and returns the checkpoint text committed last
  // ("" when there is none: the pipeline then uses its local checkpoint). An error keeps the
  // pipeline from starting. From then on the sink commits every transaction_interval, and at
  // flush().
  virtual Result<std::string> begin_exactly_once(CheckpointSource& source) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Non-null when the sink can deliver exactly once.
  virtual TransactionalSink* transactional() { return nullptr; }
  // Delivers the live events of `batch` (skip kEventDropped). `batch` stays valid until `ack`
  // is called.
  virtual void write(const Batch& batch, SinkAck ack) = 0;
  // What the lane's encode step should prepare for this sink (encoding.h), or nothing: the sink
  // then encodes on its own. Called once, before the lanes start.
  virtual std::optional<EncodeSpec> encoding() const { return std::nullopt; }
  // For GET /ready: empty when the sink can deliver now, else why not (e.g. "no broker
  // connected"). Called from the supervisor thread; must be cheap and thread-safe.
  virtual std::string not_ready() const { return {}; }
  // Finishes buffered and in-flight work before `deadline` (shutdown). Errors are reported.
  virtual Status flush(std::chrono::steady_clock::time_point deadline) {
    (void)deadline;
    return Status::ok();
  }
};

}  // namespace logagent
