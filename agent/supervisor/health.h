// Health: what GET /healthz and GET /ready answer, published by the supervisor thread and read by
// the HTTP threads. /healthz is 200 while the supervisor loop beats (503 after 30 s without a
// beat); /ready is what the supervisor last published (every pipeline runs and every sink can
// deliver: 200, else 503 and why).
//
// Threads: publish() and beat() from the supervisor thread; ready() and alive() from any.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "agent/metrics/http_server.h"

namespace logagent {

// What the HTTP threads may read, published by the supervisor thread.
class Health {
  using Clock = std::chrono::steady_clock;

 public:
  void publish(bool ready, std::string detail) {
    std::lock_guard lock(mu_);
    ready_ = ready;
    detail_ = std::move(detail);
  }
  HttpResponse ready() const {
    std::lock_guard lock(mu_);
    return {ready_ ? 200 : 503, "text/plain; charset=utf-8", detail_};
  }
  void beat() { beat_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed); }
  HttpResponse alive() const {
    const auto last = Clock::time_point(Clock::duration(beat_.load(std::memory_order_relaxed)));
    const double age = std::chrono::duration<double>(Clock::now() - last).count();
    if (age > 30) {
      return {503, "text/plain; charset=utf-8",
              fmt::format("supervisor loop stalled for {:.0f} s\n", age)};
    }
    return {200, "text/plain; charset=utf-8", "ok\n"};
  }

 private:
  mutable std::mutex mu_;
  bool ready_ = false;
  std::string detail_ = "starting\n";
  std::atomic<Clock::rep> beat_{Clock::now().time_since_epoch().count()};
};

}  // namespace logagent
