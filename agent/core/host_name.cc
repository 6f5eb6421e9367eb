#include "agent/core/host_name.h"

#include <unistd.h>

#include <array>

namespace logagent {

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "unknown";
  return std::string(buf.data());
}

}  // namespace logagent
