#include "agent/pipeline/ack_tracker.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "agent/api/batch.h"
#include "agent/core/clock.h"

namespace logagent {
namespace {

// A SourceState handed to a tracker was made by that tracker's open(), so it is a TrackedSource.
// Checked always (one compare per call, never per line): a state from another pipeline would
// move that pipeline's checkpoints, silently.
const TrackedSource& tracked(const SourceTracker* self, const SourceState& s) {
  if (s.tracker() != self) [[unlikely]] {
    std::fprintf(stderr,
                 "logagent: bug: a source (id %llu) handed to a tracker that did not open it\n",
                 static_cast<unsigned long long>(s.id()));
    std::abort();
  }
  return static_cast<const TrackedSource&>(s);
}
TrackedSource& tracked(const SourceTracker* self, SourceState& s) {
  return const_cast<TrackedSource&>(tracked(self, std::as_const(s)));
}

}  // namespace

std::shared_ptr<SourceState> AckTracker::open(const FileIdentity& id, std::string path,
                                              uint64_t offset, std::string position) {
  std::lock_guard lock(mu_);
  std::erase_if(unclaimed_,
                [&](const CheckpointEntry& e) { return e.id.dev == id.dev && e.id.ino == id.ino; });
  auto s = std::make_shared<TrackedSource>(next_id_++, this);
  s->identity = id;
  s->path = std::move(path);
  s->committed = offset;
  s->position = std::move(position);
  s->read_end = offset;
  sources_.push_back(s);
  changed();
  return s;
}

void AckTracker::seed_unclaimed(std::vector<CheckpointEntry> entries) {
  const int64_t now = mono_now_ns();
  std::lock_guard lock(mu_);
  unclaimed_ = std::move(entries);
  seeded_mono_ns_ = now;
  changed();
}

std::vector<CheckpointEntry> AckTracker::expire_unclaimed(int64_t now_mono_ns, int64_t keep_ns) {
  std::lock_guard lock(mu_);
  if (unclaimed_.empty() || now_mono_ns - seeded_mono_ns_ < keep_ns) return {};
  std::vector<CheckpointEntry> expired = std::exchange(unclaimed_, {});
  changed();
  return expired;
}

size_t AckTracker::unclaimed() const {
  std::lock_guard lock(mu_);
  return unclaimed_.size();
}

void AckTracker::update(SourceState& source, const FileIdentity& id, const std::string& path) {
  TrackedSource& s = tracked(this, source);
  std::lock_guard lock(s.mu);
  s.identity = id;
  if (s.path != path) s.path = path;
  changed();
}

uint64_t AckTracker::restart(SourceState& source, uint64_t offset) {
  TrackedSource& s = tracked(this, source);
  std::lock_guard lock(s.mu);
  ++s.generation;
  s.committed = offset;
  s.read_end = offset;
  s.pending.clear();
  changed();
  return s.generation;
}

void AckTracker::forget(SourceState& source) {
  TrackedSource& s = tracked(this, source);
  {
    std::lock_guard lock(s.mu);
    s.forgotten = true;
  }
  changed();
  std::lock_guard lock(mu_);
  std::lock_guard slock(s.mu);
  settle_locked(s);
}

void AckTracker::emitted(const Batch& batch) {
  emitted_.fetch_add(1, std::memory_order_acq_rel);
  TrackedSource& s = tracked(this, *batch.state);
  std::lock_guard lock(s.mu);
  if (batch.generation != s.generation) return;
  s.pending.push_back(
      {batch.begin, batch.end, batch.end, batch.read_mono_ns, false, false, batch.position});
  s.read_end = std::max(s.read_end, batch.end);
}

BatchPtr AckTracker::source_end_batch(SourceState& source) const {
  TrackedSource& s = tracked(this, source);
  auto batch = std::make_unique<Batch>();
  {
    std::lock_guard lock(mu_);
    for (const auto& p : sources_) {
      if (p.get() == &s) batch->state = p;
    }
  }
  std::lock_guard lock(s.mu);
  auto info = std::make_shared<SourceInfo>();
  info->path = s.path;
  batch->source = std::move(info);
  batch->generation = s.generation;
  batch->begin = batch->end = s.read_end;
  batch->read_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  batch->read_mono_ns = mono_now_ns();
  batch->source_end = true;
  return batch;
}

void AckTracker::completed(const Batch& batch, bool ok) {
  TrackedSource& s = tracked(this, *batch.state);
  bool forgotten = false;
  {
    std::lock_guard lock(s.mu);
    forgotten = s.forgotten;
    if (batch.generation == s.generation) {
      auto it = std::lower_bound(
          s.pending.begin(), s.pending.end(), batch.begin,
          [](const TrackedSource::Pending& p, uint64_t begin) { return p.begin < begin; });
      if (it != s.pending.end() && it->begin == batch.begin) {
        it->done = true;
        it->failed = !ok;
        it->delivered_to = std::min(batch.end, batch.carried_from);
      }
      // Advance over the acknowledged prefix; a failed batch stays at the front and holds the
      // committed offset back for the rest of this run (the bytes are read again on restart).
      // A batch whose tail was carried on moves it only to where the carried bytes start.
      while (!s.pending.empty() && s.pending.front().done && !s.pending.front().failed) {
        auto& front = s.pending.front();
        s.committed = std::max(s.committed, front.delivered_to);
        // A position names the end of its batch: it moves only with a batch delivered whole.
        if (!front.position.empty() && front.delivered_to == front.end) {
          s.position = std::move(front.position);
        }
        s.pending.pop_front();
        changed();
      }
    }
  }
  if (!ok) failed_.fetch_add(1, std::memory_order_relaxed);
  if (forgotten) {  // read under s.mu above: forget() sets it from the input thread
    std::lock_guard lock(mu_);
    std::lock_guard slock(s.mu);
    settle_locked(s);
  }
  completed_.fetch_add(1, std::memory_order_acq_rel);
}

// Requires mu_ and s.mu. Drops a forgotten source once nothing of it is pending.
void AckTracker::settle_locked(TrackedSource& s) {
  if (!s.forgotten || !s.drained()) return;
  auto it = std::find_if(sources_.begin(), sources_.end(),
                         [&](const std::shared_ptr<TrackedSource>& p) { return p.get() == &s; });
  if (it != sources_.end()) sources_.erase(it);
  changed();
}

std::vector<CheckpointEntry> AckTracker::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<CheckpointEntry> out;
  out.reserve(sources_.size() + unclaimed_.size());
  for (const auto& s : sources_) {
    std::lock_guard slock(s->mu);
    if (s->forgotten && s->drained()) continue;
    out.push_back({s->identity, s->committed, s->path, s->position});
  }
  out.insert(out.end(), unclaimed_.begin(), unclaimed_.end());
  return out;
}

uint64_t AckTracker::committed(const SourceState& source) const {
  const TrackedSource& s = tracked(this, source);
  std::lock_guard lock(s.mu);
  return s.committed;
}

uint64_t AckTracker::bytes_behind() const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (const auto& s : sources_) {
    const uint64_t size = s->observed_size();
    std::lock_guard slock(s->mu);
    if (size > s->committed) total += size - s->committed;
  }
  return total;
}

int64_t AckTracker::oldest_unacked_age_ns(int64_t now_mono_ns) const {
  std::lock_guard lock(mu_);
  int64_t oldest = now_mono_ns;
  for (const auto& s : sources_) {
    std::lock_guard slock(s->mu);
    for (const auto& p : s->pending) {
      if (!p.done || p.failed) {
        oldest = std::min(oldest, p.read_mono_ns);
        break;
      }
    }
  }
  return now_mono_ns - oldest;
}

std::vector<std::shared_ptr<SourceState>> AckTracker::open_sources() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<SourceState>> out;
  for (const auto& s : sources_) {
    std::lock_guard slock(s->mu);
    if (!s->forgotten) out.push_back(s);
  }
  return out;
}

size_t AckTracker::sources() const {
  std::lock_guard lock(mu_);
  return sources_.size();
}

}  // namespace logagent
