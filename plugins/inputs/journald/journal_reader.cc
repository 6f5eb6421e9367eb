#include "plugins/inputs/journald/journal_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>

#include "agent/core/clock.h"

namespace logagent::plugins::journald {
namespace {

int64_t realtime_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

JournalReader::JournalReader(InputContext& ctx, Journal& journal,
                             std::shared_ptr<SourceState> state,
                             std::shared_ptr<const SourceInfo> source, ReaderSettings settings)
    : ctx_(ctx),
      journal_(journal),
      state_(std::move(state)),
      source_(std::move(source)),
      settings_(settings),
      chunk_(ctx.pool(), ctx.stop_token()) {}

void JournalReader::run(bool on_entry) {
  const std::stop_token stop = ctx_.stop_token();
  int64_t idle_since = 0;
  while (!stop.stop_requested()) {
    const int r = on_entry ? 1 : journal_.next();
    on_entry = false;
    if (r > 0) {
      idle_since = 0;
      if (!add_current()) break;
      continue;
    }
    if (!emit()) break;
    if (r < 0) {
      if (-r != last_error_) {
        spdlog::warn("{}: cannot read the journal: {} (tried again every {} ms)", source_->path,
                     std::strerror(-r), settings_.wait_interval.count());
        last_error_ = -r;
      }
      if (ctx_.once()) {
        ctx_.unread(source_->path, std::string("cannot read: ") + std::strerror(-r));
        break;
      }
      sleep_until(stop, std::chrono::steady_clock::now() + settings_.wait_interval);
      continue;
    }
    if (ctx_.once()) break;
    idle(idle_since);
  }
  chunk_.release();
}

bool JournalReader::add_current() {
  last_error_ = 0;
  const JournalEntry e = read_entry(journal_, scratch_);
  const size_t chunk_bytes = ctx_.pool().chunk_bytes();
  const size_t need = std::min(entry_bytes(e), chunk_bytes);
  if (!chunk_.ensure(need)) return false;  // waits while the pool's budget is spent
  if (!batch_) {
    batch_ = std::make_unique<Batch>();
    batch_->source = source_;
    batch_->state = state_;
    batch_->begin = offset_;
  }
  if (batch_->chunks.empty() || batch_->chunks.back().get() != chunk_.ref().get()) {
    batch_->chunks.push_back(chunk_.ref());
  }
  const size_t used = add_entry(*batch_, chunk_.free_ptr(), chunk_.free_bytes(), e, offset_);
  chunk_.commit(used);
  offset_ += used + 1;  // + 1: an empty entry still moves the stream on
  ++entries_;
  cursor_ = journal_.cursor();
  const bool full = batch_->events.size() >= settings_.max_batch_entries ||
                    offset_ - batch_->begin >= chunk_bytes;
  return !full || emit();
}

bool JournalReader::emit() {
  if (!batch_) return true;
  batch_->end = offset_;
  batch_->position = cursor_;
  batch_->read_time_ns = realtime_now_ns();
  batch_->read_mono_ns = mono_now_ns();
  return ctx_.emit(std::exchange(batch_, nullptr));
}

void JournalReader::idle(int64_t& idle_since_ns) {
  const int64_t now = mono_now_ns();
  if (idle_since_ns == 0) idle_since_ns = now;
  if (chunk_.capacity() > 0 &&
      now - idle_since_ns >= std::chrono::nanoseconds(settings_.chunk_idle_release).count()) {
    chunk_.release();
  }
  journal_.wait(settings_.wait_interval);
}

}  // namespace logagent::plugins::journald
