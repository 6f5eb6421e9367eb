// Where the journald input starts: the saved cursor, read_from, and a cursor the journal lost.
#include "plugins/inputs/journald/journal_start.h"

#include <doctest/doctest.h>

#include "fake_journal.h"

namespace logagent::plugins::journald {
namespace {

// A journal holding entries c<first> .. c<last>.
struct JournalOf : testing::FakeJournal {
  JournalOf(int first, int last) {
    for (int n = first; n <= last; ++n) entries.push_back(entry(n, "m"));
  }
};

// The cursor of the entry the reader reads first after `start`.
std::string first_read(testing::FakeJournal& j, const StartPoint& start) {
  if (!start.on_entry && j.next() <= 0) return "";
  return j.cursor();
}

}  // namespace

TEST_CASE("without a saved cursor, read_from head starts at the oldest entry") {
  JournalOf j(1, 5);
  const StartPoint s = start_reading(j, "", ReadFrom::kHead);
  CHECK(s.error.empty());
  CHECK_FALSE(s.cursor_gone);
  CHECK(first_read(j, s) == "c1");
}

TEST_CASE("without a saved cursor, read_from tail reads only entries written later") {
  JournalOf j(1, 5);
  const StartPoint s = start_reading(j, "", ReadFrom::kTail);
  CHECK_FALSE(s.cursor_gone);
  CHECK(first_read(j, s) == "");
  j.entries.push_back(testing::FakeJournal::entry(6, "new"));
  CHECK(first_read(j, s) == "c6");
}

TEST_CASE("a saved cursor resumes at the entry after it, whatever read_from says") {
  JournalOf j(1, 5);
  const StartPoint s = start_reading(j, "c3", ReadFrom::kTail);
  CHECK_FALSE(s.cursor_gone);
  CHECK(first_read(j, s) == "c4");
}

TEST_CASE("a saved cursor at the newest entry reads nothing until a new entry comes") {
  JournalOf j(1, 5);
  const StartPoint s = start_reading(j, "c5", ReadFrom::kHead);
  CHECK(first_read(j, s) == "");
  j.entries.push_back(testing::FakeJournal::entry(6, "new"));
  CHECK(first_read(j, s) == "c6");
}

TEST_CASE("a saved cursor the journal no longer holds is a loss and reading starts at the oldest") {
  JournalOf j(10, 12);  // c1..c9 vacuumed
  const StartPoint s = start_reading(j, "c4", ReadFrom::kTail);
  CHECK(s.cursor_gone);
  CHECK(s.error.empty());
  CHECK(first_read(j, s) == "c10");
}

TEST_CASE("a saved cursor whose entry no longer matches is no loss: the next match is read") {
  testing::FakeJournal j;
  j.entries = {testing::FakeJournal::entry(1, "a"), testing::FakeJournal::entry(2, "b", false),
               testing::FakeJournal::entry(3, "c")};
  const StartPoint s = start_reading(j, "c2", ReadFrom::kHead);
  CHECK_FALSE(s.cursor_gone);
  CHECK(s.on_entry);
  CHECK(first_read(j, s) == "c3");
}

TEST_CASE("a journal that fails to step at the cursor says why") {
  JournalOf j(1, 3);
  j.fail_next = 5;  // EIO
  const StartPoint s = start_reading(j, "c2", ReadFrom::kHead);
  CHECK(s.error.find("cannot read the journal") != std::string::npos);
}

TEST_CASE("read_from tail keeps the newest entry's cursor: a restart resumes after it") {
  JournalOf j(1, 5);
  const StartPoint s = start_reading(j, "", ReadFrom::kTail);
  CHECK(s.position == "c5");
  j.entries.push_back(testing::FakeJournal::entry(6, "new"));
  const StartPoint again = start_reading(j, s.position, ReadFrom::kTail);
  CHECK(again.position == "c5");
  CHECK(first_read(j, again) == "c6");
}

TEST_CASE("read_from tail with no entry to stand on keeps the head: entries written later come") {
  testing::FakeJournal j;
  j.entries = {testing::FakeJournal::entry(1, "a", false)};  // none satisfies the matches
  const StartPoint s = start_reading(j, "", ReadFrom::kTail);
  CHECK(s.position == std::string(kHeadPosition));
  j.entries.push_back(testing::FakeJournal::entry(2, "b"));
  const StartPoint again = start_reading(j, s.position, ReadFrom::kTail);
  CHECK_FALSE(again.cursor_gone);
  CHECK(first_read(j, again) == "c2");
}

TEST_CASE("read_from head without a saved cursor keeps no position") {
  JournalOf j(1, 5);
  CHECK(start_reading(j, "", ReadFrom::kHead).position.empty());
}

TEST_CASE("after a loss the oldest entry is kept as where to resume, and is read, not lost again") {
  JournalOf j(10, 12);
  const StartPoint s = start_reading(j, "c4", ReadFrom::kHead);
  CHECK(s.cursor_gone);
  CHECK(s.position == "at:c10");
  const StartPoint again = start_reading(j, s.position, ReadFrom::kHead);
  CHECK_FALSE(again.cursor_gone);
  CHECK(again.position == "at:c10");
  CHECK(first_read(j, again) == "c10");
}

TEST_CASE("an entry kept as where to resume, vacuumed since, is a loss again") {
  JournalOf j(11, 12);
  const StartPoint s = start_reading(j, "at:c10", ReadFrom::kHead);
  CHECK(s.cursor_gone);
  CHECK(s.position == "at:c11");
  CHECK(first_read(j, s) == "c11");
}

TEST_CASE("a loss that leaves the journal empty keeps the head") {
  testing::FakeJournal j;
  const StartPoint s = start_reading(j, "c4", ReadFrom::kTail);
  CHECK(s.cursor_gone);
  CHECK(s.position == std::string(kHeadPosition));
}

}  // namespace logagent::plugins::journald
