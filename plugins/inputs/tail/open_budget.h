// OpenBudget: the descriptors a tail input holds for its files, counted across its two threads
// against max_open_files.
//
// Every descriptor that outlives the step that opened it holds one unit: a pin from the moment
// discovery opens it until the tracker adopts it (the unit moves to the FileReader) or closes it
// (DiscoveryUpdate::clear()); a rename history's pin token (a duplicate descriptor) until it is
// released; an open FileReader until it closes. Short probes (a lookup by
// identity, an open to compare identities) hold none. try_take() stays within the limit; take()
// does not: a draining file must stay open (it may have no name left to reopen it by), and a
// dormant file is opened to be read and closed again at its end. So the limit is exceeded only by
// files being drained or read at that moment, and both threads see one count -- there is no
// window in which descriptors handed from one to the other are counted by neither.
//
// Threads: any.
#pragma once

#include <atomic>
#include <cstddef>

namespace logagent::plugins::tail {

class OpenBudget {
 public:
  explicit OpenBudget(size_t limit) : limit_(limit) {}
  OpenBudget(const OpenBudget&) = delete;
  OpenBudget& operator=(const OpenBudget&) = delete;

  // One unit if fewer than the limit are held.
  bool try_take() {
    size_t n = held_.load(std::memory_order_relaxed);
    while (n < limit_) {
      if (held_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return true;
    }
    return false;
  }
  // One unit whatever the count.
  void take() { held_.fetch_add(1, std::memory_order_relaxed); }
  void give() { held_.fetch_sub(1, std::memory_order_relaxed); }

  size_t held() const { return held_.load(std::memory_order_relaxed); }
  bool room() const { return held() < limit_; }
  bool over() const { return held() > limit_; }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> held_{0};
};

}  // namespace logagent::plugins::tail
