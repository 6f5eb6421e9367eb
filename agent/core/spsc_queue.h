// SpscQueue<T>: bounded, lock-free, single-producer/single-consumer ring.
//
// Learned from rigtorp/SPSCQueue: each index lives on its own cache line, each side caches the
// other side's index and reloads it (acquire) only when the ring looks full or empty, and publishes
// its own index with release. One slot is kept empty to tell full from empty.
//
// Threads: exactly one thread may call the producer functions (try_push, push) and exactly one the
// consumer functions (front, pop, try_pop, pop_wait). size() may be called from any thread and is
// approximate. push/pop_wait park with a short backoff (spin, yield, then sleep up to 1 ms) so an
// idle lane costs no CPU; they give up when the stop token is triggered.
#pragma once

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>

namespace logagent {

inline constexpr size_t kCacheLine = 64;  // g++ 12 warns on hardware_destructive_interference_size

// Escalating wait used by blocking queue operations: spin, then yield, then sleep (<= 1 ms).
class Backoff {
 public:
  void pause() {
    if (round_ < 64) {
      ++round_;
    } else if (round_ < 128) {
      ++round_;
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(sleep_);
      if (sleep_ < std::chrono::microseconds(1000)) sleep_ *= 2;
    }
  }
  void reset() {
    round_ = 0;
    sleep_ = std::chrono::microseconds(20);
  }

 private:
  int round_ = 0;
  std::chrono::microseconds sleep_{20};
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
    return true;
  }

  // Producer: waits while full. False if `stop` was requested first (value left untouched).
  [[nodiscard]] bool push(T&& value, const std::stop_token& stop) {
    Backoff backoff;
    while (!try_push(std::move(value))) {
      if (stop.stop_requested()) return false;
      backoff.pause();
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
      backoff.pause();
    }
  }

  size_t size() const {
    const size_t write = write_.load(std::memory_order_acquire);
    const size_t read = read_.load(std::memory_order_acquire);
    return write >= read ? write - read : capacity_ - read + write;
  }
  size_t capacity() const { return capacity_ - 1; }
  bool empty() const { return size() == 0; }

 private:
  const size_t capacity_;
  T* const slots_;
  alignas(kCacheLine) std::atomic<size_t> write_{0};
  alignas(kCacheLine) size_t read_cache_ = 0;  // producer's copy of read_
  alignas(kCacheLine) std::atomic<size_t> read_{0};
  alignas(kCacheLine) size_t write_cache_ = 0;  // consumer's copy of write_
  char pad_[kCacheLine - sizeof(size_t)] = {};
};

}  // namespace logagent
