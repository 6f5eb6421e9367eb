// ReadLimits: how long a line, and a multiline event, the tail input can keep whole in the
// agent's buffer pool -- and what the user is told when the configuration asks for more.
//
// A line is read into one contiguous buffer; the input needs room for the longest line plus one
// standard chunk for the other files, so max_line_bytes is lowered to fit a small pool (lines
// are then cut there, flagged truncated). With `multiline:`, a held event and the line after it
// share one buffer, which grows up to the pool's limit: an event that fills the largest buffer is
// cut there (kMaxBytes), whatever multiline.max_bytes says. Each limit lowered comes with a
// warning naming the option and the limit that really applies.
//
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "agent/api/plugin.h"
#include "agent/core/buffer_pool.h"
#include "plugins/inputs/tail/tail_options.h"

namespace logagent::plugins::tail {

// The pool's slots and their size (BufferPool's capacity() and chunk_bytes()).
struct PoolShape {
  size_t slots = 1;
  size_t chunk_bytes = 0;

  static PoolShape of(const BufferPool& pool) { return {pool.capacity(), pool.chunk_bytes()}; }
  // The pool memory: {buffer_pool, chunk_size} makes (whole chunks, at least one).
  static PoolShape of_budget(size_t budget_bytes, size_t chunk_bytes);
  size_t slots_for(size_t bytes) const;
};

struct ReadLimits {
  size_t max_line = 0;    // the longest line kept whole
  size_t max_buffer = 0;  // the largest read buffer (ReadEnv::max_buffer; 0: max_line + 1)
  // Options lowered: "max_line_bytes", "multiline.max_bytes" (what is asked, what applies).
  std::vector<OptionWarning> warnings;
};

// The longest line the pool can hold (max_line_bytes, capped to the pool's budget).
size_t fit_max_line(size_t max_line_bytes, const PoolShape& pool);
ReadLimits read_limits(const TailOptions& options, const PoolShape& pool);

}  // namespace logagent::plugins::tail
