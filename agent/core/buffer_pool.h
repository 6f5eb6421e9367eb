// BufferPool: the agent's memory budget for log data, handed out as counted chunks.
//
// The pool owns `capacity()` slots of `chunk_bytes()` each (budget / chunk size). A chunk is taken
// with acquire(), which blocks while the budget is spent (cancellable through a stop_token), and is
// returned when its last ChunkRef goes away -- that is, when the last event viewing it has been
// acknowledged. An oversized chunk (for a line longer than one chunk) counts as several slots.
// Standard chunks are allocated lazily and kept on a free list; oversized ones are freed.
// shrink() (the supervisor calls it every few seconds) frees the listed chunks that the last
// period did not need, so a burst's buffers go back to the kernel once it is over: resident
// memory follows demand, and never exceeds the budget.
//
// Chunk memory is mapped with mmap directly (not from malloc), so a freed chunk leaves the
// process at once instead of lingering in the allocator's heaps. Sanitizer builds use new[], so
// that overruns of a chunk are still caught.
//
// Threads: every member is thread-safe. ChunkRef copies may be released on any thread.
// Memory ordering: the reference count uses acq_rel on release so the last owner sees all writes
// into the chunk before it goes back to the pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

namespace logagent {

class BufferPool;

class Chunk {
 public:
  ~Chunk();
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;
  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  uint32_t slots() const { return slots_; }

 private:
  friend class BufferPool;
  friend class ChunkRef;
  Chunk(BufferPool* pool, size_t capacity, uint32_t slots);

  BufferPool* pool_;
  char* data_;
  size_t capacity_;
  uint32_t slots_;
  std::atomic<uint32_t> refs_{0};
};

// Shared, counted reference to a Chunk. Empty when default-constructed or when acquire failed.
class ChunkRef {
 public:
  ChunkRef() = default;
  ChunkRef(const ChunkRef& other) noexcept;
  ChunkRef(ChunkRef&& other) noexcept : chunk_(other.chunk_) { other.chunk_ = nullptr; }
  ChunkRef& operator=(const ChunkRef& other) noexcept;
  ChunkRef& operator=(ChunkRef&& other) noexcept;
  ~ChunkRef() { reset(); }

  void reset() noexcept;
  explicit operator bool() const { return chunk_ != nullptr; }
  Chunk* get() const { return chunk_; }
  Chunk* operator->() const { return chunk_; }

 private:
  friend class BufferPool;
  explicit ChunkRef(Chunk* chunk) noexcept;
  Chunk* chunk_ = nullptr;
};

class BufferPool {
 public:
  static constexpr size_t kDefaultChunkBytes = 256 * 1024;

  // `budget_bytes` is rounded down to whole chunks; at least one chunk is always available.
  explicit BufferPool(size_t budget_bytes, size_t chunk_bytes = kDefaultChunkBytes);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Takes a chunk of at least `min_bytes` (one standard chunk when min_bytes <= chunk_bytes()),
  // waiting while the budget is spent. Returns an empty ref if `stop` is requested while waiting,
  // or if `min_bytes` could never fit in the budget.
  ChunkRef acquire(size_t min_bytes, std::stop_token stop);
  // Like acquire(), but returns an empty ref at once when the budget is spent.
  ChunkRef try_acquire(size_t min_bytes);

  size_t chunk_bytes() const { return chunk_bytes_; }
  size_t capacity() const { return capacity_; }                              // slots in total
  size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }  // slots out
  size_t high_water() const { return high_water_.load(std::memory_order_relaxed); }
  uint64_t waits() const { return waits_.load(std::memory_order_relaxed); }  // blocked acquires
  // Standard chunks allocated now (checked out or listed as free): the pool's resident part.
  size_t allocated() const { return allocated_count_.load(std::memory_order_relaxed); }
  // Slots needed for a buffer of `bytes`.
  uint32_t slots_for(size_t bytes) const;

  // Frees listed chunks beyond what the period since the last call needed at its peak (the most
  // slots out at once, less those out now). Returns the chunks freed.
  size_t shrink();

 private:
  friend class ChunkRef;
  void release(Chunk* chunk) noexcept;
  Chunk* take_locked(uint32_t slots);

  const size_t chunk_bytes_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::vector<Chunk*> free_;                // standard chunks ready for reuse
  size_t allocated_ = 0;                    // standard chunks allocated now (<= capacity_)
  size_t period_peak_ = 0;                  // most slots out at once since the last shrink()
  std::atomic<size_t> allocated_count_{0};  // allocated_, for readers without the lock
  std::atomic<size_t> in_use_{0};
  std::atomic<size_t> high_water_{0};
  std::atomic<uint64_t> waits_{0};
};

}  // namespace logagent
