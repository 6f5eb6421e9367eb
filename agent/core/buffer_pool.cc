#include "agent/core/buffer_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LOGAGENT_POOL_USES_NEW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define LOGAGENT_POOL_USES_NEW 1
#endif
#endif

namespace logagent {
namespace {

char* map_bytes(size_t n) {
#ifdef LOGAGENT_POOL_USES_NEW
  return new char[n];
#else
  void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<char*>(p);
#endif
}

void unmap_bytes(char* p, size_t n) {
#ifdef LOGAGENT_POOL_USES_NEW
  (void)n;
  delete[] p;
#else
  ::munmap(p, n);
#endif
}

}  // namespace

Chunk::Chunk(BufferPool* pool, size_t capacity, uint32_t slots)
    : pool_(pool), data_(map_bytes(capacity)), capacity_(capacity), slots_(slots) {}

Chunk::~Chunk() { unmap_bytes(data_, capacity_); }

ChunkRef::ChunkRef(Chunk* chunk) noexcept : chunk_(chunk) {
  chunk_->refs_.store(1, std::memory_order_relaxed);
}

ChunkRef::ChunkRef(const ChunkRef& other) noexcept : chunk_(other.chunk_) {
  if (chunk_ != nullptr) chunk_->refs_.fetch_add(1, std::memory_order_relaxed);
}

ChunkRef& ChunkRef::operator=(const ChunkRef& other) noexcept {
  if (this != &other) {
    if (other.chunk_ != nullptr) other.chunk_->refs_.fetch_add(1, std::memory_order_relaxed);
    reset();
    chunk_ = other.chunk_;
  }
  return *this;
}

ChunkRef& ChunkRef::operator=(ChunkRef&& other) noexcept {
  if (this != &other) {
    reset();
    chunk_ = other.chunk_;
    other.chunk_ = nullptr;
  }
  return *this;
}

void ChunkRef::reset() noexcept {
  if (chunk_ == nullptr) return;
  if (chunk_->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) chunk_->pool_->release(chunk_);
  chunk_ = nullptr;
}

BufferPool::BufferPool(size_t budget_bytes, size_t chunk_bytes)
    : chunk_bytes_(std::max<size_t>(chunk_bytes, 4096)),
      capacity_(std::max<size_t>(1, budget_bytes / std::max<size_t>(chunk_bytes, 4096))) {}

BufferPool::~BufferPool() {
  for (Chunk* c : free_) delete c;
}

uint32_t BufferPool::slots_for(size_t bytes) const {
  if (bytes <= chunk_bytes_) return 1;
  return static_cast<uint32_t>((bytes + chunk_bytes_ - 1) / chunk_bytes_);
}

Chunk* BufferPool::take_locked(uint32_t slots) {
  Chunk* chunk = nullptr;
  if (slots == 1) {
    if (!free_.empty()) {
      chunk = free_.back();
      free_.pop_back();
    } else {
      chunk = new Chunk(this, chunk_bytes_, 1);
      allocated_count_.store(++allocated_, std::memory_order_relaxed);
    }
  } else {
    // Oversized buffers are rare (long lines). Give back cached standard chunks so that the
    // resident memory stays within the budget.
    while (!free_.empty() && allocated_ + slots > capacity_) {
      delete free_.back();
      free_.pop_back();
      allocated_count_.store(--allocated_, std::memory_order_relaxed);
    }
    chunk = new Chunk(this, static_cast<size_t>(slots) * chunk_bytes_, slots);
  }
  size_t now = in_use_.fetch_add(slots, std::memory_order_relaxed) + slots;
  period_peak_ = std::max(period_peak_, now);
  size_t high = high_water_.load(std::memory_order_relaxed);
  while (now > high && !high_water_.compare_exchange_weak(high, now, std::memory_order_relaxed)) {
  }
  return chunk;
}

ChunkRef BufferPool::acquire(size_t min_bytes, std::stop_token stop) {
  const uint32_t slots = slots_for(min_bytes);
  if (slots > capacity_) return {};
  std::unique_lock lock(mu_);
  auto fits = [&] { return in_use_.load(std::memory_order_relaxed) + slots <= capacity_; };
  if (!fits()) {
    waits_.fetch_add(1, std::memory_order_relaxed);
    if (!cv_.wait(lock, stop, fits)) return {};
  }
  return ChunkRef(take_locked(slots));
}

ChunkRef BufferPool::try_acquire(size_t min_bytes) {
  const uint32_t slots = slots_for(min_bytes);
  std::lock_guard lock(mu_);
  if (in_use_.load(std::memory_order_relaxed) + slots > capacity_) return {};
  return ChunkRef(take_locked(slots));
}

void BufferPool::release(Chunk* chunk) noexcept {
  {
    std::lock_guard lock(mu_);
    in_use_.fetch_sub(chunk->slots_, std::memory_order_relaxed);
    if (chunk->slots_ == 1) {
      free_.push_back(chunk);
    } else {
      delete chunk;
    }
  }
  cv_.notify_all();
}

size_t BufferPool::shrink() {
  std::vector<Chunk*> surplus;
  {
    std::lock_guard lock(mu_);
    const size_t out = in_use_.load(std::memory_order_relaxed);
    // The period's peak needed `period_peak_` slots out at once; `out` are out now, so that many
    // more listed chunks would have served the peak. The coldest (front of the list) go first.
    const size_t keep = period_peak_ > out ? period_peak_ - out : 0;
    if (free_.size() > keep) {
      const auto n = static_cast<std::ptrdiff_t>(free_.size() - keep);
      surplus.assign(free_.begin(), free_.begin() + n);
      free_.erase(free_.begin(), free_.begin() + n);
      allocated_ -= surplus.size();
      allocated_count_.store(allocated_, std::memory_order_relaxed);
    }
    period_peak_ = out;
  }
  for (Chunk* c : surplus) delete c;  // munmap outside the lock
  return surplus.size();
}

}  // namespace logagent
