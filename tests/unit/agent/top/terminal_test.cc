#include "agent/top/terminal.h"

#include <doctest/doctest.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <csignal>
#include <string>

using namespace logagent::top;

namespace {

// Everything the terminal received, read from the pty's master side.
std::string drain(int master) {
  std::string out;
  char buf[512];
  pollfd p{master, POLLIN, 0};
  while (::poll(&p, 1, 100) > 0) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Puts a pty's slave side on stdin and stdout while it lives (doctest's own output waits:
// the checks run after it is gone).
struct PtyOnStdio {
  int master = -1;
  int slave = -1;
  int saved_in = ::dup(STDIN_FILENO);
  int saved_out = ::dup(STDOUT_FILENO);
  PtyOnStdio() {
    REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
    ::dup2(slave, STDIN_FILENO);
    ::dup2(slave, STDOUT_FILENO);
  }
  void restore() {
    ::dup2(saved_in, STDIN_FILENO);
    ::dup2(saved_out, STDOUT_FILENO);
  }
  ~PtyOnStdio() {
    restore();
    ::close(saved_in);
    ::close(saved_out);
    ::close(master);
    ::close(slave);
  }
};

}  // namespace

TEST_CASE("terminal: keys without echo, resize and SIGTERM as events, all undone when closed") {
  PtyOnStdio pty;
  termios before{};
  ::tcgetattr(pty.slave, &before);
  struct sigaction was {};
  ::sigaction(SIGTERM, nullptr, &was);
  termios during{};
  char key = 0;
  TerminalEvent on_key{}, on_resize{}, on_term{};
  int quit_signal = 0;
  {
    auto t = Terminal::open();
    if (!t.is_ok()) {
      pty.restore();
      FAIL(t.message());
    }
    ::tcgetattr(pty.slave, &during);
    REQUIRE(::write(pty.master, "p", 1) == 1);
    on_key = (*t)->wait(5000, key);
    ::raise(SIGWINCH);
    on_resize = (*t)->wait(5000, key);
    ::raise(SIGTERM);
    on_term = (*t)->wait(5000, key);
    quit_signal = (*t)->quit_signal();
  }
  termios after{};
  ::tcgetattr(pty.slave, &after);
  const std::string shown = drain(pty.master);
  pty.restore();

  CHECK((during.c_lflag & ICANON) == 0);
  CHECK((during.c_lflag & ECHO) == 0);
  CHECK((during.c_lflag & ISIG) != 0);  // Ctrl-C still interrupts
  CHECK(during.c_cc[VSUSP] == _POSIX_VDISABLE);
  CHECK(on_key == TerminalEvent::kKey);
  CHECK(key == 'p');
  CHECK(on_resize == TerminalEvent::kResize);
  CHECK(on_term == TerminalEvent::kQuit);
  CHECK(quit_signal == SIGTERM);
  CHECK(after.c_lflag == before.c_lflag);
  CHECK(after.c_cc[VSUSP] == before.c_cc[VSUSP]);
  CHECK(shown.starts_with("\x1b[?1049h"));  // the alternate screen, then back
  CHECK(shown.ends_with("\x1b[?25h\x1b[?1049l"));
  struct sigaction now {};
  ::sigaction(SIGTERM, nullptr, &now);
  const bool restored = now.sa_handler == was.sa_handler;  // the disposition from before
  CHECK(restored);
}

TEST_CASE("terminal: without a terminal on stdin and stdout, open() says to use --once") {
  if (::isatty(STDIN_FILENO) != 0 && ::isatty(STDOUT_FILENO) != 0) return;  // run from a shell
  auto t = Terminal::open();
  REQUIRE_FALSE(t.is_ok());
  CHECK(t.message().find("--once") != std::string::npos);
}
