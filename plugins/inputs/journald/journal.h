// Journal: the seam between the journald input and libsystemd -- the few operations the input
// needs on an open journal, so that where reading starts (journal_start.h) and how an entry
// becomes an event (entry_mapper.h) are tested without a journal (a fake in the tests).
// SdJournal (sd_journal.h) is the real one.
//
// The journal has a read position: on an entry, or between entries (after a seek). Matches, when
// set, apply to next(): it moves to the next entry that satisfies them.
//
// Threads: one thread only (libsystemd's rule: the thread that opened it).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace logagent::plugins::journald {

class Journal {
 public:
  virtual ~Journal() = default;
  // Positions before the oldest entry.
  virtual bool seek_head() = 0;
  // Positions on the newest entry now in the journal, so that next() gives only entries written
  // later.
  virtual bool seek_tail() = 0;
  // Positions so that next() moves to the entry at `cursor` -- or, when the journal no longer
  // holds it or it does not satisfy the matches, to the first entry after where it was.
  virtual bool seek_cursor(const std::string& cursor) = 0;
  // Moves to the next entry: 1 moved, 0 no entry after the position (yet), < 0 a -errno.
  virtual int next() = 0;
  // The current entry is the one at `cursor`.
  virtual bool at_cursor(const std::string& cursor) = 0;
  // The journal still holds the entry at `cursor`, matches or not. It moves the position: seek
  // again after it.
  virtual bool contains(const std::string& cursor) = 0;
  // The current entry's cursor ("" on error).
  virtual std::string cursor() = 0;
  // The value of field `name` (e.g. "MESSAGE") of the current entry; empty when it has none. The
  // view is valid until the next call on the journal (libsystemd's rule for its data).
  virtual std::string_view field(const char* name) = 0;
  // __REALTIME_TIMESTAMP of the current entry, microseconds since the epoch (0 on error).
  virtual uint64_t realtime_usec() = 0;
  // Waits up to `timeout` for the journal to change.
  virtual void wait(std::chrono::milliseconds timeout) = 0;
};

}  // namespace logagent::plugins::journald
