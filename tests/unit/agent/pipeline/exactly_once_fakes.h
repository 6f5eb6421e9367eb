// Plugins for the exactly-once tests: an input that resumes one fake file from the checkpoint it
// is given, and a transactional sink whose "broker" (static state) keeps the records and the
// checkpoint committed together, as Kafka's transactions will.
#pragma once

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/api/plugin.h"
#include "agent/api/registry.h"
#include "agent/checkpoint/checkpoint_store.h"

namespace logagent::testing {

inline const FileIdentity kFakeFile{1, 1, 0, 0, 0};
inline constexpr int kLinesPerBatch = 10;
inline constexpr uint64_t kBatchBytes = kLinesPerBatch * 8;

// A checkpoint of the fake file at `offset`, as CheckpointStore writes it.
inline std::string checkpoint_at(uint64_t offset) {
  return CheckpointStore::serialize({CheckpointEntry{kFakeFile, offset, "/fake.log"}});
}

// Reads /fake.log (`batches` batches of 10 lines of 8 bytes) from the offset its checkpoint
// says, then waits for the stop as a tail at the end of a file does.
struct ResumingInput final : Input {
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "resuming";
  static inline std::atomic<int> batches{10};
  static Result<std::unique_ptr<Input>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Input>(new ResumingInput());
  }
  void run(InputContext& ctx) override {
    uint64_t offset = 0;
    for (const CheckpointEntry& e : ctx.saved_checkpoints()) {
      if (e.id.same_inode(kFakeFile)) offset = e.offset;
    }
    auto state = ctx.sources().open(kFakeFile, "/fake.log", offset);
    auto info = std::make_shared<SourceInfo>(SourceInfo{"/fake.log"});
    const uint64_t size = static_cast<uint64_t>(batches.load()) * kBatchBytes;
    state->observe_size(size);
    while (offset < size) {
      ChunkRef chunk = ctx.pool().acquire(4096, ctx.stop_token());
      if (!chunk) return;
      auto batch = std::make_unique<Batch>();
      batch->source = info;
      batch->state = state;
      batch->begin = offset;
      for (int l = 0; l < kLinesPerBatch; ++l) {
        char* p = chunk->data() + l * 8;
        std::memcpy(p, "line123\n", 8);
        batch->events.push_back({std::string_view(p, 7), offset, 0, 0});
        offset += 8;
      }
      batch->end = offset;
      batch->chunks.push_back(std::move(chunk));
      if (!ctx.emit(std::move(batch))) return;
    }
    while (!ctx.once() && !ctx.stop_token().stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
};

// Delivers every batch into its open transaction; commit() moves them, with the pipeline's
// checkpoint_text(), into the "broker"; abort() drops them and tells the pipeline failed().
struct TxSink final : Sink, TransactionalSink {
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static constexpr std::string_view kName = "tx";
  // Test settings and the broker's state, guarded by mu.
  static inline std::mutex mu;
  static inline bool offer = true;            // transactional() is non-null
  static inline bool commit_at_flush = true;  // flush() commits
  static inline int commit_after = 0;         // commit once, after this many writes (0: never)
  static inline std::string broker_text;      // the checkpoint committed last
  static inline std::string begin_error;      // non-empty: begin_exactly_once() fails so
  static inline bool retry_writes = false;    // write() answers retry (a failed transaction)
  static inline std::vector<uint64_t> broker_records;  // first offsets of committed batches
  static inline int begins = 0;
  static inline int writes = 0;  // over every instance
  static inline TxSink* current = nullptr;

  static void reset() {
    std::lock_guard lock(mu);
    offer = true;
    commit_at_flush = true;
    commit_after = 0;
    broker_text.clear();
    begin_error.clear();
    retry_writes = false;
    broker_records.clear();
    begins = writes = 0;
  }
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Sink>(new TxSink());
  }
  ~TxSink() override {
    std::lock_guard lock(mu);
    if (current == this) current = nullptr;
  }
  TransactionalSink* transactional() override { return offer ? this : nullptr; }
  Result<std::string> begin_exactly_once(CheckpointSource& s) override {
    std::lock_guard lock(mu);
    source_ = &s;
    current = this;
    ++begins;
    if (!begin_error.empty()) return Status::error(begin_error);
    return broker_text;
  }
  void write(const Batch& b, SinkAck ack) override {
    std::lock_guard lock(mu);
    if (retry_writes) {
      ack.retry("the transaction failed (test)");
      return;
    }
    if (!aborted_) open_.push_back(b.begin);
    ++writes;
    ++mine_;
    ack.delivered();
    if (commit_after > 0 && mine_ == commit_after) commit_locked();
  }
  Status flush(std::chrono::steady_clock::time_point) override {
    std::lock_guard lock(mu);
    if (commit_at_flush) commit_locked();
    return Status::ok();
  }
  // Commits the open transaction of the current instance.
  static void commit() {
    std::lock_guard lock(mu);
    if (current != nullptr) current->commit_locked();
  }
  // Aborts the open transaction of the current instance (as when fenced).
  static void abort(const std::string& why) {
    CheckpointSource* source = nullptr;
    {
      std::lock_guard lock(mu);
      if (current == nullptr) return;
      current->aborted_ = true;
      current->open_.clear();
      source = current->source_;
    }
    source->failed(why);
  }

 private:
  void commit_locked() {
    if (aborted_ || source_ == nullptr) return;
    std::string text = source_->checkpoint_text();
    broker_records.insert(broker_records.end(), open_.begin(), open_.end());
    open_.clear();
    broker_text = text;
    source_->committed(text);
  }
  CheckpointSource* source_ = nullptr;
  bool aborted_ = false;
  int mine_ = 0;
  std::vector<uint64_t> open_;
};

}  // namespace logagent::testing
