// TapSession: what one `logagent tap` client samples at one tap point of a pipeline -- a bounded
// buffer of events as json lines, filled by the stage threads, emptied by the client's HTTP thread.
//
// Bounds: at most `rate` events a second are copied (a token bucket holding one second's worth;
// the events of a batch over the rate are skipped, spread evenly over it, so a sample is not only
// the heads of batches); at most `max_bytes` of json are buffered (an event whose text would pass
// it is dropped and counted: the producer never waits for the consumer); after `limit` events
// (0: none) nothing more is copied. The budget is checked before an event is encoded against its
// message's size and after against its text, so the buffer never holds more than `max_bytes`.
// No ChunkRef is kept: a tap never holds the buffer pool.
//
// Threads: offer() from any pipeline thread (several lanes may offer at once); take(), close()
// and the readers from any thread. One mutex guards the buffer; offer() holds it while it encodes
// the (rate-bounded) sample of one batch, take() only to swap the buffer out.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"

namespace logagent {

struct TapLimits {
  size_t max_bytes = 1u << 20;  // json buffered for the client, at most
  double rate = 100;            // events copied per second, at most (> 0)
  uint64_t limit = 0;           // events copied in all, at most; 0: no limit
};

struct TapCounts {
  uint64_t seen = 0;     // live events that passed the point while the session was open
  uint64_t taken = 0;    // copied for the client
  uint64_t skipped = 0;  // not copied: over the rate (or after the limit)
  uint64_t dropped = 0;  // not copied: the buffer was full (the client reads too slowly)
};

class TapSession {
 public:
  TapSession(size_t point, TapLimits limits, int64_t now_ns);
  TapSession(const TapSession&) = delete;
  TapSession& operator=(const TapSession&) = delete;

  size_t point() const { return point_; }
  // Samples the live events of `batch` (a stage thread; `now_ns` on a monotonic clock).
  void offer(const Batch& batch, int64_t now_ns);
  // Waits up to `wait` for buffered text or the session's end, then moves the text into `out`
  // (replacing what it held; its capacity is kept for the next take). False once the session is
  // closed and nothing is left, or the limit was reached and everything taken.
  bool take(std::string& out, std::chrono::milliseconds wait);
  // Ends the session: nothing more is copied, take() returns what is left, then false. The first
  // reason given is kept.
  void close(std::string_view reason);
  std::string reason() const;
  TapCounts counts() const;
  size_t buffered_bytes() const;

 private:
  bool done_locked() const {
    return closed_ || (limits_.limit != 0 && counts_.taken >= limits_.limit);
  }
  // The events of `batch` to copy now: live ones, at most `n`, spread over the batch.
  void pick(const Batch& batch, size_t live, size_t n);

  const size_t point_;
  const TapLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::string buffer_;          // guarded by mu_
  TapCounts counts_;            // guarded by mu_
  double tokens_;               // guarded by mu_
  int64_t refilled_ns_;         // guarded by mu_
  bool closed_ = false;         // guarded by mu_
  std::string reason_;          // guarded by mu_
  std::vector<size_t> picked_;  // guarded by mu_: offer()'s scratch
};

}  // namespace logagent
