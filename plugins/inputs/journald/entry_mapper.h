// How a journal entry becomes an event: MESSAGE is the event's message; PRIORITY, _PID,
// _SYSTEMD_UNIT and _HOSTNAME become the fields priority, pid (numbers when they are digits, as
// journald writes them), unit and hostname (strings), when the entry has them; and
// __REALTIME_TIMESTAMP is the event's time.
//
// The entry's text is copied into the batch's chunk (the pool's memory), never into the heap: an
// event and its fields view that copy. An entry larger than the room it is given has its message
// cut to fit (its fields dropped too when not even they fit) and is flagged truncated.
//
// Threads: the input thread; pure but for the batch and buffer it is handed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "plugins/inputs/journald/journal.h"

namespace logagent::plugins::journald {

// The fields of one entry that the input maps, as views: `message` into the journal's data (valid
// until the journal's next call), the others into an EntryScratch (or into a test's strings).
struct JournalEntry {
  std::string_view message;
  std::string_view priority;
  std::string_view pid;
  std::string_view unit;
  std::string_view hostname;
  uint64_t realtime_usec = 0;
};

// Where read_entry() keeps the small fields: libsystemd's data is valid only until the next field
// is read, so each is copied before the next. Reused entry after entry (no allocation once warm).
struct EntryScratch {
  std::string priority, pid, unit, hostname;
};

// The current entry of `journal`; MESSAGE is read last, so it is the one view into the journal.
JournalEntry read_entry(Journal& journal, EntryScratch& scratch);

// Bytes add_entry() copies for `e` when it has the room.
size_t entry_bytes(const JournalEntry& e);

// Appends `e` to `batch` as event number batch.events.size(), at stream offset `offset`: copies
// its text to `dst` (at most `room` bytes; when entry_bytes(e) > room, the message is cut and the
// event flagged kEventTruncated), adds its fields and its time. Returns the bytes used in `dst`.
size_t add_entry(Batch& batch, char* dst, size_t room, const JournalEntry& e, uint64_t offset);

}  // namespace logagent::plugins::journald
