#include "plugins/inputs/journald/journal_start.h"

#include <cstring>

namespace logagent::plugins::journald {
namespace {

std::string read_error(int r) {
  return std::string("cannot read the journal: ") + std::strerror(-r);
}

StartPoint at_head(Journal& journal, std::string position) {
  StartPoint start;
  start.position = std::move(position);
  if (!journal.seek_head()) start.error = "cannot seek to the journal's head";
  return start;
}

// read_from: tail. The newest entry (matching, when there are matches) is where a restart
// resumes after; with none, the head is: every entry written from now on comes after it.
StartPoint at_tail(Journal& journal) {
  StartPoint start;
  if (!journal.seek_tail()) {
    start.error = "cannot seek to the journal's tail";
    return start;
  }
  start.position = journal.cursor();
  if (start.position.empty()) start.position = kHeadPosition;
  return start;
}

// The saved cursor is gone: reading resumes at the oldest entry, which a restart resumes at.
StartPoint after_loss(Journal& journal) {
  StartPoint start = at_head(journal, std::string(kHeadPosition));
  start.cursor_gone = true;
  if (!start.error.empty()) return start;
  const int r = journal.next();
  if (r < 0) {
    start.error = read_error(r);
  } else if (r > 0) {
    start.on_entry = true;
    const std::string oldest = journal.cursor();
    if (!oldest.empty()) start.position = std::string(kAtPrefix) + oldest;
  }
  return start;
}

}  // namespace

StartPoint start_reading(Journal& journal, const std::string& saved_position, ReadFrom read_from) {
  if (saved_position.empty()) {
    return read_from == ReadFrom::kTail ? at_tail(journal) : at_head(journal, "");
  }
  if (saved_position == kHeadPosition) return at_head(journal, saved_position);
  const bool at = saved_position.starts_with(kAtPrefix);
  const std::string cursor = at ? saved_position.substr(kAtPrefix.size()) : saved_position;
  if (!journal.contains(cursor)) return after_loss(journal);
  StartPoint start;
  start.position = saved_position;
  if (!journal.seek_cursor(cursor)) {
    start.error = "cannot seek to the saved cursor";
    return start;
  }
  const int r = journal.next();
  if (r < 0) {
    start.error = read_error(r);
  } else if (r > 0 && (at || !journal.at_cursor(cursor))) {
    // "at:": the entry is to be read; else the cursor's entry no longer matches: this one
    // follows it.
    start.on_entry = true;
  }
  return start;
}

}  // namespace logagent::plugins::journald
