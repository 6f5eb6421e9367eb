#include "plugins/inputs/tail/read_limits.h"

#include <fmt/format.h>

#include <algorithm>

namespace logagent::plugins::tail {
namespace {

std::string bytes(size_t n) { return format_value(ByteSize{n}); }

// A limit in whole bytes, with its unit when it has one: "768KiB (786432 bytes)", "4095 bytes".
std::string limit(size_t n) {
  return n % 1024 == 0 ? fmt::format("{} ({} bytes)", bytes(n), n) : fmt::format("{} bytes", n);
}

std::string pool_text(const PoolShape& pool) {
  return fmt::format("the buffer pool ({} chunk{} of {})", pool.slots, pool.slots == 1 ? "" : "s",
                     bytes(pool.chunk_bytes));
}

}  // namespace

PoolShape PoolShape::of_budget(size_t budget_bytes, size_t chunk_bytes) {
  return {std::max<size_t>(1, chunk_bytes == 0 ? 1 : budget_bytes / chunk_bytes), chunk_bytes};
}

size_t PoolShape::slots_for(size_t n) const {
  if (n <= chunk_bytes) return 1;
  return (n + chunk_bytes - 1) / chunk_bytes;
}

size_t fit_max_line(size_t max_line_bytes, const PoolShape& pool) {
  const size_t chunk = pool.chunk_bytes;
  if (pool.slots_for(max_line_bytes + chunk) <= pool.slots) return max_line_bytes;
  return pool.slots > 1 ? (pool.slots - 1) * chunk : chunk - 1;
}

ReadLimits read_limits(const TailOptions& options, const PoolShape& pool) {
  ReadLimits out;
  const size_t asked = options.max_line_bytes.bytes;
  out.max_line = fit_max_line(asked, pool);
  if (out.max_line != asked) {
    out.warnings.push_back(
        {"max_line_bytes", fmt::format("max_line_bytes {} does not fit {}: lines are cut at {}",
                                       bytes(asked), pool_text(pool), limit(out.max_line))});
  }
  const MultilineOptions& ml = options.multiline;
  if (!ml.configured()) return out;
  // Room for a held event and the line after it, so that an event stays one view.
  const size_t want = out.max_line + 1 + static_cast<size_t>(ml.max_bytes.bytes);
  out.max_buffer = std::max(out.max_line + 1, fit_max_line(want, pool));
  if (out.max_buffer < want) {
    out.warnings.push_back(
        {"multiline.max_bytes",
         fmt::format("multiline max_bytes {} and a line of up to {} do not fit {}: an event is cut "
                     "where it fills the largest buffer, {}",
                     bytes(ml.max_bytes.bytes), limit(out.max_line), pool_text(pool),
                     limit(out.max_buffer))});
  }
  return out;
}

}  // namespace logagent::plugins::tail
