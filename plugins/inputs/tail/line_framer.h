// Line framing: the inner loop of the tail input.
//
// frame_lines() splits a buffer into complete '\n'-terminated lines with memchr and appends one
// Event per line (a view without the '\n'; no copy, no allocation beyond the reserved vector).
// Lines longer than `max_line` are cut to it and flagged kEventTruncated. Bytes after the last
// '\n' (a partial line) are left for the caller. Pure function; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "agent/api/batch.h"

namespace logagent::plugins::tail {

struct FrameResult {
  size_t consumed = 0;     // bytes up to and including the last '\n'
  uint64_t truncated = 0;  // lines cut to max_line
};

FrameResult frame_lines(const char* data, size_t size, uint64_t base_offset, size_t max_line,
                        std::vector<Event>& out);

}  // namespace logagent::plugins::tail
