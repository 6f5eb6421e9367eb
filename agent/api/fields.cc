#include "agent/api/fields.h"

namespace logagent {

char* Arena::allocate_slow(size_t n) {
  if (n > kLargeBytes) {
    large_.push_back(std::make_unique_for_overwrite<char[]>(n));
    large_sizes_.push_back(n);
    return large_.back().get();
  }
  // The current block's tail is abandoned (at most kLargeBytes).
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
  cur_ = blocks_.back().get() + n;
  left_ = kBlockBytes - n;
  return blocks_.back().get();
}

void Arena::clear() {
  large_.clear();
  large_sizes_.clear();
  if (blocks_.empty()) return;
  blocks_.resize(1);
  cur_ = blocks_.front().get();
  left_ = kBlockBytes;
}

size_t Arena::reserved_bytes() const {
  size_t n = blocks_.size() * kBlockBytes;
  for (size_t s : large_sizes_) n += s;
  return n;
}

}  // namespace logagent
