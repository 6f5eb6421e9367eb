// ReloadChannel: POST /-/reload. An HTTP thread takes a ticket, sends SIGHUP to the process (the
// supervisor takes it like any SIGHUP) and waits up to 120 s for the result of a reload that
// began after its request; the supervisor answers every waiting request when a reload ends.
//
// Threads: request() from HTTP threads; complete() from the supervisor thread.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "agent/metrics/http_server.h"

namespace logagent {

// Reload requests from HTTP: a ticket, SIGHUP to wake the supervisor, then wait for the result.
class ReloadChannel {
 public:
  HttpResponse request() {
    std::unique_lock lock(mu_);
    const uint64_t ticket = ++requested_;
    lock.unlock();
    ::kill(::getpid(), SIGHUP);
    lock.lock();
    if (!cv_.wait_for(lock, std::chrono::seconds(120), [&] { return done_ >= ticket; })) {
      return {503, "text/plain; charset=utf-8", "reload still in progress\n"};
    }
    return result_;
  }
  // The supervisor finished a reload (whatever triggered it): answer every waiting request.
  void complete(HttpResponse result) {
    std::lock_guard lock(mu_);
    done_ = requested_;
    result_ = std::move(result);
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t requested_ = 0;
  uint64_t done_ = 0;
  HttpResponse result_;
};

}  // namespace logagent
