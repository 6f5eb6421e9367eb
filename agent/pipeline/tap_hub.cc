#include "agent/pipeline/tap_hub.h"

#include <algorithm>

#include "agent/core/clock.h"

namespace logagent {

TapHub::TapHub(std::vector<std::string> stage_labels)
    : labels_(std::move(stage_labels)),
      attached_(std::make_unique<std::atomic<uint32_t>[]>(labels_.size() + 1)) {}

void TapHub::offer(size_t point, const Batch& batch) {
  const int64_t now = mono_now_ns();
  std::lock_guard lock(mu_);
  for (const auto& s : sessions_) {
    if (s->point() == point) s->offer(batch, now);
  }
}

Result<std::shared_ptr<TapSession>> TapHub::attach(size_t point, TapLimits limits) {
  if (point >= points()) return Status::error("no tap point " + std::to_string(point));
  std::lock_guard lock(mu_);
  if (closed_) return Status::error(reason_);
  auto session = std::make_shared<TapSession>(point, limits, mono_now_ns());
  sessions_.push_back(session);
  attached_[point].fetch_add(1, std::memory_order_relaxed);
  return session;
}

void TapHub::detach(const std::shared_ptr<TapSession>& session, std::string_view reason) {
  session->close(reason);
  std::lock_guard lock(mu_);
  auto it = std::find(sessions_.begin(), sessions_.end(), session);
  if (it == sessions_.end()) return;
  attached_[session->point()].fetch_sub(1, std::memory_order_relaxed);
  sessions_.erase(it);
}

void TapHub::close(std::string_view reason) {
  std::vector<std::shared_ptr<TapSession>> ended;
  {
    std::lock_guard lock(mu_);
    if (!closed_) {
      closed_ = true;
      reason_ = reason;
    }
    ended = sessions_;
  }
  for (const auto& s : ended) s->close(reason);
}

bool TapHub::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

std::vector<std::shared_ptr<TapSession>> TapHub::sessions() const {
  std::lock_guard lock(mu_);
  return sessions_;
}

}  // namespace logagent
