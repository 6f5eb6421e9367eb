#include "agent/pipeline/tap_session.h"

#include <algorithm>
#include <cmath>

#include "agent/codec/event_encoder.h"

namespace logagent {

TapSession::TapSession(size_t point, TapLimits limits, int64_t now_ns)
    : point_(point), limits_(limits), tokens_(std::max(1.0, limits.rate)), refilled_ns_(now_ns) {}

void TapSession::pick(const Batch& batch, size_t live, size_t n) {
  picked_.clear();
  // Live event k (0-based among the live ones) is picked when it starts a new stride of live/n.
  size_t k = 0;
  size_t next = 0;
  for (size_t i = 0; i < batch.events.size() && picked_.size() < n; ++i) {
    if (batch.events[i].flags & kEventDropped) continue;
    if (k == next) {
      picked_.push_back(i);
      next = (picked_.size() * live) / n;
    }
    ++k;
  }
}

void TapSession::offer(const Batch& batch, int64_t now_ns) {
  const size_t live = batch.live_events();
  if (live == 0) return;
  std::lock_guard lock(mu_);
  if (closed_) return;
  counts_.seen += live;
  const double burst = std::max(1.0, limits_.rate);
  if (now_ns > refilled_ns_) {
    tokens_ =
        std::min(burst, tokens_ + static_cast<double>(now_ns - refilled_ns_) * 1e-9 * limits_.rate);
    refilled_ns_ = now_ns;
  }
  size_t n = std::min(live, static_cast<size_t>(std::floor(tokens_)));
  if (limits_.limit != 0) {
    n = std::min<uint64_t>(n, limits_.limit > counts_.taken ? limits_.limit - counts_.taken : 0);
  }
  counts_.skipped += live - n;
  if (n == 0) return;
  tokens_ -= static_cast<double>(n);
  pick(batch, live, n);
  const size_t before = buffer_.size();
  for (size_t i : picked_) {
    const size_t mark = buffer_.size();
    if (mark + batch.events[i].message.size() + 1 > limits_.max_bytes) {
      ++counts_.dropped;
      continue;
    }
    encode_events_json(buffer_, batch, std::span<const size_t>(&i, 1));
    if (buffer_.size() > limits_.max_bytes) {
      buffer_.resize(mark);
      ++counts_.dropped;
      continue;
    }
    ++counts_.taken;
  }
  if (buffer_.size() != before) ready_.notify_one();
}

bool TapSession::take(std::string& out, std::chrono::milliseconds wait) {
  out.clear();
  std::unique_lock lock(mu_);
  ready_.wait_for(lock, wait, [this] { return !buffer_.empty() || done_locked(); });
  if (buffer_.empty()) return !done_locked();
  out.swap(buffer_);
  return true;
}

void TapSession::close(std::string_view reason) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    reason_ = reason;
  }
  ready_.notify_all();
}

std::string TapSession::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

TapCounts TapSession::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

size_t TapSession::buffered_bytes() const {
  std::lock_guard lock(mu_);
  return buffer_.size();
}

}  // namespace logagent
