// Test support for the journald input: a Journal (journal.h) held in memory, and an InputContext
// over a real BufferPool and AckTracker that keeps what was emitted and what each checkpoint
// write would have written.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "agent/api/plugin.h"
#include "agent/core/buffer_pool.h"
#include "agent/pipeline/ack_tracker.h"
#include "plugins/inputs/journald/journal.h"

namespace logagent::plugins::journald::testing {

struct FakeEntry {
  std::string cursor;
  std::map<std::string, std::string> fields;
  uint64_t realtime_usec = 0;
  bool matches = true;  // satisfies the journal's matches
};

// Entries in journal order. The position is an index: -1 before the first entry, size() past
// the last; seek_cursor() of a cursor not held places it where the cursor's number would sort
// (cursors are "c<number>").
class FakeJournal : public Journal {
 public:
  std::vector<FakeEntry> entries;
  std::atomic<int> waits{0};  // read by the test thread while the reader runs
  int fail_next = 0;          // a -errno next() returns once

  static FakeEntry entry(int n, std::string message, bool matches = true) {
    FakeEntry e;
    // Built apart and moved in: g++ 12 -O3 warns (-Wrestrict, a false positive) on
    // "literal" + std::string&& and on a short literal assigned to a member string.
    std::string cursor(1, 'c');
    cursor += std::to_string(n);
    e.cursor = std::move(cursor);
    e.fields["MESSAGE"] = std::move(message);
    e.realtime_usec = 1700000000000000ULL + static_cast<uint64_t>(n);
    e.matches = matches;
    return e;
  }

  bool seek_head() override {
    pos_ = -1;
    return true;
  }
  bool seek_tail() override {
    pos_ = static_cast<int>(entries.size()) - 1;
    while (pos_ >= 0 && !entries[static_cast<size_t>(pos_)].matches) --pos_;
    return true;
  }
  bool seek_cursor(const std::string& cursor) override {
    const int n = number(cursor);
    pos_ = -1;
    while (pos_ + 1 < static_cast<int>(entries.size()) &&
           number(entries[static_cast<size_t>(pos_ + 1)].cursor) < n) {
      ++pos_;
    }
    return true;
  }
  int next() override {
    if (fail_next != 0) return -std::exchange(fail_next, 0);
    int p = pos_ + 1;
    while (p < static_cast<int>(entries.size()) && !entries[static_cast<size_t>(p)].matches) ++p;
    if (p >= static_cast<int>(entries.size())) return 0;  // stays on the last entry
    pos_ = p;
    return 1;
  }
  bool at_cursor(const std::string& cursor) override { return on() && current().cursor == cursor; }
  bool contains(const std::string& cursor) override {
    for (const FakeEntry& e : entries) {
      if (e.cursor == cursor) return true;
    }
    return false;
  }
  std::string cursor() override { return on() ? current().cursor : std::string(); }
  // Like libsystemd, a value is valid only until the next field is read: one buffer serves all.
  std::string_view field(const char* name) override {
    if (!on()) return {};
    auto it = current().fields.find(name);
    if (it == current().fields.end()) return {};
    last_field_.assign(it->second);
    return last_field_;
  }
  uint64_t realtime_usec() override { return on() ? current().realtime_usec : 0; }
  void wait(std::chrono::milliseconds) override { ++waits; }

 private:
  static int number(const std::string& cursor) { return std::stoi(cursor.substr(1)); }
  bool on() const { return pos_ >= 0 && pos_ < static_cast<int>(entries.size()); }
  const FakeEntry& current() const { return entries[static_cast<size_t>(pos_)]; }
  int pos_ = -1;
  std::string last_field_;
};

// emit() keeps every batch; complete_all() acknowledges them (their chunks go back to the pool).
class FakeContext final : public InputContext {
 public:
  FakeContext(bool once, size_t budget = 1024 * 1024, size_t chunk = 64 * 1024)
      : pool_(budget, chunk), once_(once) {}
  // The batches hold chunks of pool_, declared after them: they go back before pool_ is gone.
  ~FakeContext() override { batches.clear(); }
  BufferPool& pool() override { return pool_; }
  SourceTracker& sources() override { return acks_; }
  AckTracker& acks() { return acks_; }
  const std::vector<CheckpointEntry>& saved_checkpoints() const override { return saved_; }
  std::vector<CheckpointEntry>& saved() { return saved_; }
  bool once() const override { return once_; }
  std::stop_token stop_token() const override { return stop_.get_token(); }
  void stop() { stop_.request_stop(); }
  bool emit(BatchPtr batch) override {
    if (stop_.stop_requested()) return false;
    acks_.emitted(*batch);
    std::lock_guard lock(mu_);
    batches.push_back(std::move(batch));
    return true;
  }
  void unread(const std::string& path, const std::string& why) override {
    unread_.push_back(path + ": " + why);
  }
  // Keeps what the checkpoint holds now, and how many batches were emitted before.
  bool save_checkpoint() override {
    std::lock_guard lock(mu_);
    saves.push_back({acks_.snapshot(), batches.size()});
    return true;
  }
  void complete_all() {
    std::lock_guard lock(mu_);
    for (BatchPtr& b : batches) acks_.completed(*b, true);
    batches.clear();
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const BatchPtr& b : batches) {
      for (const Event& e : b->events) out.emplace_back(e.message);
    }
    return out;
  }

  std::vector<BatchPtr> batches;  // under mu_ while a reader thread runs
  std::vector<std::string> unread_;
  struct Save {
    std::vector<CheckpointEntry> entries;
    size_t batches_before = 0;
  };
  std::vector<Save> saves;  // save_checkpoint() calls

 private:
  BufferPool pool_;
  AckTracker acks_;
  std::vector<CheckpointEntry> saved_;
  bool once_;
  std::stop_source stop_;
  std::mutex mu_;
};

}  // namespace logagent::plugins::journald::testing
