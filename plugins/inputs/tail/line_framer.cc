#include "plugins/inputs/tail/line_framer.h"

#include <cstring>
#include <string_view>

namespace logagent::plugins::tail {

FrameResult frame_lines(const char* data, size_t size, uint64_t base_offset, size_t max_line,
                        std::vector<Event>& out) {
  FrameResult r;
  const char* p = data;
  const char* const end = data + size;
  while (p < end) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr) break;
    size_t len = static_cast<size_t>(nl - p);
    uint32_t flags = 0;
    if (len > max_line) {
      len = max_line;
      flags = kEventTruncated;
      ++r.truncated;
    }
    out.push_back(
        Event{std::string_view(p, len), base_offset + static_cast<uint64_t>(p - data), flags, 0});
    p = nl + 1;
  }
  r.consumed = static_cast<size_t>(p - data);
  return r;
}

}  // namespace logagent::plugins::tail
