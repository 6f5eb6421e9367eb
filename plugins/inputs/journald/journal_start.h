// Where the journald input starts reading: after the saved cursor, or -- without one -- at the
// head or the tail (read_from).
//
// A saved cursor the journal no longer holds (its file vacuumed, or the journal replaced, while
// the agent was down) is a loss: the entries between it and the oldest one left were never read.
// The start says so (the input counts and logs it) and reading resumes at the oldest entry. A
// cursor the journal holds but whose entry no longer satisfies the matches (they changed) is no
// loss: reading resumes at the first matching entry after it.
//
// Threads: the input thread (the journal's).
#pragma once

#include <string>

#include "plugins/inputs/journald/journal.h"
#include "plugins/inputs/journald/journald_options.h"

namespace logagent::plugins::journald {

struct StartPoint {
  // The journal is on an entry not read yet (next() would skip it): read it first.
  bool on_entry = false;
  // The saved cursor was not found: entries were lost; reading starts at the oldest entry.
  bool cursor_gone = false;
  // The journal refused a seek or a step (an error text; the input tries again later).
  std::string error;
};

StartPoint start_reading(Journal& journal, const std::string& saved_cursor, ReadFrom read_from);

}  // namespace logagent::plugins::journald
