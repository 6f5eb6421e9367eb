// ChunkCursor: the one chunk an input is currently filling (the tail input: shared by every file).
//
// Reads land in the free space after `used()`; bytes are committed once events view them, so
// several files' batches may reference the same chunk (each holds a ChunkRef). When the free
// space runs low, or a line needs a contiguous fresh buffer, the cursor drops its reference and
// takes a new chunk from the pool, waiting (cancellably) while the budget is spent. release()
// gives the chunk back when the input goes idle so the pool's in_use can return to zero.
//
// Threads: input thread only.
#pragma once

#include <cstddef>
#include <stop_token>

#include "agent/core/buffer_pool.h"

namespace logagent::plugins {

class ChunkCursor {
 public:
  ChunkCursor(BufferPool& pool, std::stop_token stop) : pool_(pool), stop_(std::move(stop)) {}

  // Keeps the current chunk if it has at least `min_free` bytes free, else takes a standard
  // chunk. False when stopping.
  bool ensure(size_t min_free);
  // Takes a new chunk of at least `min_bytes` (oversized when above the chunk size). False when
  // stopping.
  bool fresh(size_t min_bytes);
  void release();

  char* free_ptr() { return chunk_->data() + used_; }
  size_t free_bytes() const { return chunk_ ? chunk_->capacity() - used_ : 0; }
  // Nothing was committed in the current chunk yet.
  bool untouched() const { return used_ == 0; }
  size_t capacity() const { return chunk_ ? chunk_->capacity() : 0; }
  void commit(size_t n) { used_ += n; }
  const ChunkRef& ref() const { return chunk_; }
  BufferPool& pool() { return pool_; }

 private:
  BufferPool& pool_;
  std::stop_token stop_;
  ChunkRef chunk_;
  size_t used_ = 0;
};

}  // namespace logagent::plugins
