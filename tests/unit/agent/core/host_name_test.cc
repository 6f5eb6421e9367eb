#include "agent/core/host_name.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <array>
#include <string>

using namespace logagent;

TEST_CASE("host_name is the name gethostname gives, never empty") {
  std::array<char, 256> buf{};
  const std::string name = host_name();
  CHECK_FALSE(name.empty());
  if (::gethostname(buf.data(), buf.size() - 1) == 0 && buf[0] != '\0') {
    CHECK(name == std::string(buf.data()));
  } else {
    CHECK(name == "unknown");
  }
  CHECK(host_name() == name);  // the same on every call
}
