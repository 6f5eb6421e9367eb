// Test support for the tail input: a fake InputContext over a real BufferPool and AckTracker,
// temporary directories, file helpers, and a live run of the input on its own thread.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/plugin.h"
#include "agent/core/buffer_pool.h"
#include "agent/metrics/metrics_registry.h"
#include "agent/pipeline/ack_tracker.h"
#include "plugins/inputs/tail/tail_input.h"

namespace logagent::plugins::tail::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/logagent-tail-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& data, bool append = false) {
  std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline void append_file(const std::string& path, const std::string& data) {
  write_file(path, data, true);
}

// A line as collected: its bytes, file offset, flags, and the file it came from.
struct Line {
  std::string text;
  uint64_t offset = 0;
  uint32_t flags = 0;
  std::string path;
};

// What the fake keeps of each emitted batch after it may have been completed.
struct BatchRecord {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t generation = 0;
  size_t events = 0;
  std::string path;
};

// emit() copies every event (so lines stay readable after completion) and keeps the batch
// until complete_all(); with auto_complete it acknowledges and frees each batch at once.
class FakeInputContext final : public InputContext {
 public:
  explicit FakeInputContext(bool once, size_t budget = 16 * 1024 * 1024,
                            size_t chunk = BufferPool::kDefaultChunkBytes)
      : pool_(budget, chunk), once_(once) {}

  BufferPool& pool() override { return pool_; }
  SourceTracker& sources() override { return acks_; }
  AckTracker& acks() { return acks_; }
  const std::vector<CheckpointEntry>& saved_checkpoints() const override { return saved_; }
  bool once() const override { return once_; }
  std::stop_token stop_token() const override { return stop_.get_token(); }
  bool emit(BatchPtr batch) override {
    if (on_emit) on_emit();
    {
      // hold(): emit blocks like a full lane, until release() or a stop.
      std::unique_lock lock(mu_);
      ++waiting_;
      gate_.wait(lock, [this] { return !held_ || stop_.stop_requested(); });
      --waiting_;
    }
    if (stop_.stop_requested()) return false;
    acks_.emitted(*batch);
    std::lock_guard lock(mu_);
    for (const Event& e : batch->events) {
      lines_.push_back({std::string(e.message), e.offset, e.flags, batch->source->path});
    }
    records_.push_back(
        {batch->begin, batch->end, batch->generation, batch->events.size(), batch->source->path});
    sources_.push_back(batch->source);
    if (auto_complete) {
      acks_.completed(*batch, true);
    } else {
      batches_.push_back(std::move(batch));
    }
    return true;
  }

  bool auto_complete = false;
  std::function<void()> on_emit;  // called first in each emit() (on the emitting thread)
  void stop() {
    stop_.request_stop();
    std::lock_guard lock(mu_);
    gate_.notify_all();
  }
  // Backpressure on demand: emit() waits while held.
  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    std::lock_guard lock(mu_);
    held_ = false;
    gate_.notify_all();
  }
  // emit() calls waiting at the gate now.
  int waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }
  std::vector<CheckpointEntry>& saved() { return saved_; }
  // Keeps what the checkpoint holds at each save_checkpoint() call, and the lines emitted before.
  struct Save {
    std::vector<CheckpointEntry> entries;
    size_t lines_before = 0;
  };
  bool save_checkpoint() override {
    std::lock_guard lock(mu_);
    saves_.push_back({acks_.snapshot(), lines_.size()});
    return true;
  }
  std::vector<Save> saves() {
    std::lock_guard lock(mu_);
    return saves_;
  }

  // Every event emitted so far, in emission order.
  std::vector<Line> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::vector<std::string> texts() {
    std::vector<std::string> out;
    for (Line& l : lines()) out.push_back(std::move(l.text));
    return out;
  }
  std::vector<std::string> texts_of(const std::string& path) {
    std::vector<std::string> out;
    for (Line& l : lines()) {
      if (l.path == path) out.push_back(std::move(l.text));
    }
    return out;
  }
  std::vector<BatchRecord> records() {
    std::lock_guard lock(mu_);
    return records_;
  }
  // The source of each batch emitted so far, in emission order.
  std::vector<std::shared_ptr<const SourceInfo>> source_infos() {
    std::lock_guard lock(mu_);
    return sources_;
  }
  // Acknowledges and destroys every batch kept so far (their chunks go back to the pool).
  void complete_all(bool ok = true) {
    std::vector<BatchPtr> done;
    {
      std::lock_guard lock(mu_);
      done.swap(batches_);
    }
    for (BatchPtr& b : done) acks_.completed(*b, ok);
  }

 private:
  BufferPool pool_;
  AckTracker acks_;
  std::vector<CheckpointEntry> saved_;
  bool once_;
  std::stop_source stop_;
  std::mutex mu_;
  std::condition_variable gate_;
  bool held_ = false;
  int waiting_ = 0;
  std::vector<BatchPtr> batches_;
  std::vector<Line> lines_;
  std::vector<Save> saves_;
  std::vector<BatchRecord> records_;
  std::vector<std::shared_ptr<const SourceInfo>> sources_;
};

// The plugin context tests hand to create(): a real metrics registry so counters can be read.
struct Plugin {
  std::shared_ptr<MetricsRegistry> registry = std::make_shared<MetricsRegistry>();
  PluginContext ctx{"test", "", MetricsScope(registry, {{"pipeline", "test"}}), 1, {}, {}};

  std::unique_ptr<Input> make(const TailOptions& options) {
    auto made = TailInput::create(options, ctx);
    REQUIRE(made.is_ok());
    return std::move(made).value();
  }
  double counter(const std::string& name, const Labels& extra = {}) const {
    return ctx.metrics.counter(name, "", extra).value();
  }
  double gauge(const std::string& name) const { return ctx.metrics.gauge(name, "").value(); }
};

// Options with short intervals so live tests stay well under a second or two.
inline TailOptions fast_options(const std::string& pattern) {
  TailOptions o;
  o.paths = {pattern};
  o.scan_interval.value = std::chrono::milliseconds(50);
  o.poll_interval.value = std::chrono::milliseconds(20);
  return o;
}

// Runs input.run(ctx) on its own thread until stop() or destruction.
class LiveRun {
 public:
  LiveRun(Input& input, FakeInputContext& ctx)
      : ctx_(ctx), thread_([&input, &ctx] { input.run(ctx); }) {}
  ~LiveRun() { stop(); }
  void stop() {
    ctx_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  FakeInputContext& ctx_;
  std::thread thread_;
};

// Waits for `pred`, generously: a loaded machine (CI beside a broker and other builds) may take
// seconds where an idle one takes milliseconds. Only a condition that never comes costs the wait.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

inline std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

}  // namespace logagent::plugins::tail::testing
