#include "plugins/common/chunk_cursor.h"

namespace logagent::plugins {

bool ChunkCursor::ensure(size_t min_free) {
  if (chunk_ && free_bytes() >= min_free) return true;
  return fresh(pool_.chunk_bytes());
}

bool ChunkCursor::fresh(size_t min_bytes) {
  // Drop our reference first: batches in flight hold theirs, and the pool may need this slot.
  release();
  chunk_ = pool_.acquire(min_bytes, stop_);
  return static_cast<bool>(chunk_);
}

void ChunkCursor::release() {
  chunk_.reset();
  used_ = 0;
}

}  // namespace logagent::plugins
