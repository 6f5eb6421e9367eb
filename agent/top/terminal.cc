#include "agent/top/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace logagent::top {

namespace {

// The self-pipe of the signal handlers: [0] read by wait(), [1] written by the handler.
int g_signal_pipe[2] = {-1, -1};
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGWINCH};
struct sigaction g_saved_actions[3];

void on_signal(int sig) {
  const int saved_errno = errno;
  const auto byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] const ssize_t n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved_errno;
}

constexpr std::string_view kEnter = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
constexpr std::string_view kLeave = "\x1b[?25h\x1b[?1049l";

}  // namespace

Result<std::unique_ptr<Terminal>> Terminal::open() {
  if (::isatty(STDIN_FILENO) == 0 || ::isatty(STDOUT_FILENO) == 0) {
    return Status::error("the live view needs a terminal on stdin and stdout (use --once)");
  }
  std::unique_ptr<Terminal> t(new Terminal());
  if (::tcgetattr(STDIN_FILENO, &t->saved_) != 0) {
    return Status::error(std::string("tcgetattr: ") + std::strerror(errno));
  }
  if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Status::error(std::string("pipe: ") + std::strerror(errno));
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &sa, &g_saved_actions[i]);
  }
  termios raw = t->saved_;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
  raw.c_cc[VSUSP] = _POSIX_VDISABLE;  // Ctrl-Z would stop top with the terminal still raw
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
  t->write(kEnter);
  return t;
}

Terminal::~Terminal() {
  write(kLeave);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &g_saved_actions[i], nullptr);
  }
  ::close(g_signal_pipe[0]);
  ::close(g_signal_pipe[1]);
  g_signal_pipe[0] = g_signal_pipe[1] = -1;
}

int Terminal::columns() const {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 80;
  return ws.ws_col;
}

int Terminal::rows() const {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) return 24;
  return ws.ws_row;
}

void Terminal::write(std::string_view text) const {
  while (!text.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n > 0) {
      text.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return;  // the terminal is gone (ssh dropped): nothing left to show
    }
  }
}

TerminalEvent Terminal::wait(int timeout_ms, char& key) {
  pollfd fds[2] = {{g_signal_pipe[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  const int n = ::poll(fds, 2, timeout_ms);
  if (n <= 0) return TerminalEvent::kNone;  // timeout, or EINTR before the handler's byte
  if ((fds[0].revents & POLLIN) != 0) {
    unsigned char sig = 0;
    TerminalEvent event = TerminalEvent::kNone;
    while (::read(g_signal_pipe[0], &sig, 1) == 1) {
      if (sig == SIGWINCH && event == TerminalEvent::kNone) event = TerminalEvent::kResize;
      if (sig == SIGINT || sig == SIGTERM) {
        quit_signal_ = sig;
        event = TerminalEvent::kQuit;
      }
    }
    return event;
  }
  if ((fds[1].revents & (POLLHUP | POLLERR)) != 0) return TerminalEvent::kQuit;
  if (::read(STDIN_FILENO, &key, 1) != 1) return TerminalEvent::kQuit;  // end of input
  return TerminalEvent::kKey;
}

}  // namespace logagent::top
