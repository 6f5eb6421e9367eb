// The terminal of the live `logagent top`: keys without Enter, a full-screen view that leaves the
// shell's screen as it was, and the signals that end or resize it.
//
// open() puts the terminal (stdin and stdout must both be one) in non-canonical mode without echo
// (Ctrl-C still sends SIGINT; Ctrl-Z is disabled, as a stopped top would leave the terminal
// raw), switches to the alternate screen and hides the cursor. SIGINT, SIGTERM and SIGWINCH are
// caught into a self-pipe, so the owner's poll() wakes for them. The destructor undoes all of it:
// the saved termios, the main screen, the cursor and the previous signal dispositions. Ending the
// process by another signal (SIGKILL) leaves the terminal in the alternate screen; `reset` restores
// it.
//
// Threads: one object per process, used from the thread that opened it.
#pragma once

#include <termios.h>

#include <memory>
#include <string_view>

#include "agent/api/status.h"

namespace logagent::top {

enum class TerminalEvent { kNone, kKey, kResize, kQuit };

class Terminal {
 public:
  static Result<std::unique_ptr<Terminal>> open();
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Columns and rows of the window now (80x24 when the size cannot be read).
  int columns() const;
  int rows() const;
  // Writes `text` to the terminal at once.
  void write(std::string_view text) const;
  // Waits up to `timeout_ms` for a key or a signal; a key's byte goes to `key`.
  TerminalEvent wait(int timeout_ms, char& key);
  // The signal that asked to quit (SIGINT or SIGTERM), 0 after a 'q'.
  int quit_signal() const { return quit_signal_; }

 private:
  Terminal() = default;
  termios saved_{};
  int quit_signal_ = 0;
};

}  // namespace logagent::top
