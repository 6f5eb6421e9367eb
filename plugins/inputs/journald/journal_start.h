// Where the journald input starts reading: after the saved position, or -- without one -- at the
// head or the tail (read_from).
//
// The position kept in the checkpoint (CheckpointEntry::position) is one of:
//   "<cursor>"     resume after the entry at cursor: the last entry of a batch every sink
//                  acknowledged, or the newest entry when read_from: tail started;
//   "at:<cursor>"  resume at the entry at cursor: the oldest entry, where reading resumed after a
//                  loss (journal cursors start with "s=", so none starts with "at:");
//   "head"         resume at the head: read_from: tail found no entry to stand on (the journal was
//                  empty, or none satisfied the matches), or a loss left none.
// StartPoint::position is what the checkpoint must hold until the first batch is acknowledged:
// where this start would begin again. It differs from the saved one only when the start was
// chosen now (read_from: tail) or moved by a loss; the input then writes the checkpoint before it
// reads (journald_input.h), so that a restart before the first acknowledgement -- a kill -9
// included -- neither skips the entries written since (tail) nor counts the same loss again.
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
#include <string_view>

#include "plugins/inputs/journald/journal.h"
#include "plugins/inputs/journald/journald_options.h"

namespace logagent::plugins::journald {

inline constexpr std::string_view kAtPrefix = "at:";
inline constexpr std::string_view kHeadPosition = "head";

struct StartPoint {
  // The journal is on an entry not read yet (next() would skip it): read it first.
  bool on_entry = false;
  // The saved cursor was not found: entries were lost; reading starts at the oldest entry.
  bool cursor_gone = false;
  // The journal refused a seek or a step (an error text; the input tries again later).
  std::string error;
  // What the checkpoint holds until a batch is acknowledged (see above; "" without a saved
  // position and with read_from: head: a restart reads from the head again).
  std::string position;
};

StartPoint start_reading(Journal& journal, const std::string& saved_position, ReadFrom read_from);

}  // namespace logagent::plugins::journald
