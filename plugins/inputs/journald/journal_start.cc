#include "plugins/inputs/journald/journal_start.h"

#include <cstring>

namespace logagent::plugins::journald {

StartPoint start_reading(Journal& journal, const std::string& saved_cursor, ReadFrom read_from) {
  StartPoint start;
  if (saved_cursor.empty()) {
    const bool ok = read_from == ReadFrom::kTail ? journal.seek_tail() : journal.seek_head();
    if (!ok)
      start.error = "cannot seek to the journal's " +
                    std::string(read_from == ReadFrom::kTail ? "tail" : "head");
    return start;
  }
  if (!journal.contains(saved_cursor)) {
    start.cursor_gone = true;
    if (!journal.seek_head()) start.error = "cannot seek to the journal's head";
    return start;
  }
  if (!journal.seek_cursor(saved_cursor)) {
    start.error = "cannot seek to the saved cursor";
    return start;
  }
  const int r = journal.next();
  if (r < 0) {
    start.error = std::string("cannot read the journal: ") + std::strerror(-r);
  } else if (r > 0 && !journal.at_cursor(saved_cursor)) {
    start.on_entry = true;  // the cursor's entry no longer matches: this one follows it
  }
  return start;
}

}  // namespace logagent::plugins::journald
