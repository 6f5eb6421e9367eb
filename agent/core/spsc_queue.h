// SpscQueue<T>: bounded, lock-free, single-producer/single-consumer ring.
//
// Learned from rigtorp/SPSCQueue: each index lives on its own cache line, each side caches the
// other side's index and reloads it (acquire) only when the ring looks full or empty, and publishes
// its own index with release. One slot is kept empty to tell full from empty.
//
// Threads: exactly one thread may call the producer functions (try_push, push) and exactly one the
// consumer functions (front, pop, try_pop, pop_wait). size() may be called from any thread and is
// approximate.
//
// push/pop_wait spin a little, yield a little, then park on a futex (std::atomic::wait on a wake
// counter) until the other side moves or the stop token is triggered -- an idle lane makes no
// wake-ups at all. A parking side raises its `parked` flag, then looks at the ring once more; the
// other side, having moved its index, looks at the flag and bumps the counter only when it is
// raised. Both touch the flag with a read-modify-write (acq_rel), so the two are ordered: either
// the mover's look comes later and sees the flag, or the parker's raise comes later, synchronizes
// with the look, and sees the moved index. A wake-up is never lost, and an unparked side costs its
// peer one locked instruction. (No standalone fences: ThreadSanitizer does not model them.)
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>

namespace logagent {

inline constexpr size_t kCacheLine = 64;  // g++ 12 warns on hardware_destructive_interference_size

// The first steps of a blocking queue operation's wait: spin, then yield; false once it is time
// to park.
class Backoff {
 public:
  bool pause() {
    if (round_ < 64) {
      ++round_;
      return true;
    }
    if (round_ < 128) {
      ++round_;
      std::this_thread::yield();
      return true;
    }
    return false;
  }

 private:
  int round_ = 0;
};

// One side's parking place: the counter it sleeps on and the flag that says it may be asleep.
struct alignas(kCacheLine) ParkingSpot {
  std::atomic<uint32_t> wake{0};
  std::atomic<uint32_t> parked{0};

  // Sleeps until `ready()` may be true (woken by the peer, or by `stop`).
  template <class Ready>
  void park(const std::stop_token& stop, Ready ready) {
    const uint32_t epoch = wake.load(std::memory_order_acquire);
    parked.exchange(1, std::memory_order_acq_rel);
    if (!ready() && !stop.stop_requested()) {
      // Runs at once if stop was requested since the look above.
      std::stop_callback on_stop(stop, [this] { bump(); });
      wake.wait(epoch, std::memory_order_acquire);
    }
    parked.store(0, std::memory_order_relaxed);
  }
  // The peer moved (after its index store): wakes this side if it may be asleep.
  void unpark() {
    if (parked.fetch_or(0, std::memory_order_acq_rel) != 0) bump();
  }

 private:
  void bump() {
    wake.fetch_add(1, std::memory_order_release);
    wake.notify_all();
  }
};

template <class T>
class SpscQueue {
 public:
  explicit SpscQueue(size_t capacity)
      : capacity_(capacity + 1), slots_(std::allocator<T>().allocate(capacity_)) {}
  ~SpscQueue() {
    while (front() != nullptr) pop();
    std::allocator<T>().deallocate(slots_, capacity_);
  }
  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  // Producer: false when full (the value is left untouched).
  [[nodiscard]] bool try_push(T&& value) {
    const size_t write = write_.load(std::memory_order_relaxed);
    size_t next = write + 1;
    if (next == capacity_) next = 0;
    if (next == read_cache_) {
      read_cache_ = read_.load(std::memory_order_acquire);
      if (next == read_cache_) return false;
    }
    new (&slots_[write]) T(std::move(value));
    write_.store(next, std::memory_order_release);
    consumer_.unpark();
    return true;
  }

  // Producer: waits while full. False if `stop` was requested first (value left untouched).
  [[nodiscard]] bool push(T&& value, const std::stop_token& stop) {
    Backoff backoff;
    while (!try_push(std::move(value))) {
      if (stop.stop_requested()) return false;
      if (!backoff.pause()) producer_.park(stop, [this] { return has_room(); });
    }
    return true;
  }

  // Consumer: the oldest item, or nullptr when empty.
  T* front() {
    const size_t read = read_.load(std::memory_order_relaxed);
    if (read == write_cache_) {
      write_cache_ = write_.load(std::memory_order_acquire);
      if (write_cache_ == read) return nullptr;
    }
    return &slots_[read];
  }

  // Consumer: removes the item front() returned. Only valid after front() returned an item.
  void pop() {
    const size_t read = read_.load(std::memory_order_relaxed);
    assert(read != write_cache_ && "pop() without a successful front()");
    slots_[read].~T();
    size_t next = read + 1;
    if (next == capacity_) next = 0;
    read_.store(next, std::memory_order_release);
    producer_.unpark();
  }

  std::optional<T> try_pop() {
    T* item = front();
    if (item == nullptr) return std::nullopt;
    std::optional<T> out(std::move(*item));
    pop();
    return out;
  }

  // Consumer: waits for an item; nullopt when `stop` is requested and the queue is empty.
  std::optional<T> pop_wait(const std::stop_token& stop) {
    Backoff backoff;
    for (;;) {
      if (auto item = try_pop()) return item;
      // The producer pushes before it requests stop: look once more after seeing the stop.
      if (stop.stop_requested()) return try_pop();
      if (!backoff.pause()) consumer_.park(stop, [this] { return front() != nullptr; });
    }
  }

  size_t size() const {
    const size_t write = write_.load(std::memory_order_acquire);
    const size_t read = read_.load(std::memory_order_acquire);
    return write >= read ? write - read : capacity_ - read + write;
  }
  size_t capacity() const { return capacity_ - 1; }
  bool empty() const { return size() == 0; }
  // Whether a side is parked (or about to be) now: for tests.
  bool producer_parked() const { return producer_.parked.load(std::memory_order_relaxed) != 0; }
  bool consumer_parked() const { return consumer_.parked.load(std::memory_order_relaxed) != 0; }

 private:
  // Producer: a slot is free.
  bool has_room() {
    size_t next = write_.load(std::memory_order_relaxed) + 1;
    if (next == capacity_) next = 0;
    if (next != read_cache_) return true;
    read_cache_ = read_.load(std::memory_order_acquire);
    return next != read_cache_;
  }

  const size_t capacity_;
  T* const slots_;
  alignas(kCacheLine) std::atomic<size_t> write_{0};
  alignas(kCacheLine) size_t read_cache_ = 0;  // producer's copy of read_
  alignas(kCacheLine) std::atomic<size_t> read_{0};
  alignas(kCacheLine) size_t write_cache_ = 0;  // consumer's copy of write_
  ParkingSpot producer_;                        // where push() waits for room
  ParkingSpot consumer_;                        // where pop_wait() waits for an item
};

}  // namespace logagent
