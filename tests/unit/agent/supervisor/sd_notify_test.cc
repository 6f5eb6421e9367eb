#include "agent/supervisor/sd_notify.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

using namespace logagent;

TEST_CASE("sd_notify: a datagram to $NOTIFY_SOCKET, or nothing without it") {
  const std::string path = "/tmp/logagent-notify-" + std::to_string(::getpid());
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);

  ::unsetenv("NOTIFY_SOCKET");
  CHECK(sd_notify_state("READY=1"));  // not under systemd: nothing to do

  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  CHECK(sd_notify_state("READY=1\nSTATUS=running 2 pipeline(s)"));
  char buf[256] = {0};
  const ssize_t n = ::recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
  CHECK(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0) ==
        "READY=1\nSTATUS=running 2 pipeline(s)");

  ::setenv("NOTIFY_SOCKET", "relative/path", 1);
  CHECK_FALSE(sd_notify_state("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
  ::close(fd);
  ::unlink(path.c_str());
}
