// RenameHistory: the inotify event stream applied as history (pure logic, no file system).
#include "plugins/inputs/tail/rename_history.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

namespace logagent::plugins::tail {
namespace {

// A history over "*.log" names with a closer that records every token handed back.
struct H {
  std::multiset<int64_t> closed;
  RenameHistory history{[](const std::string& p) { return p.size() > 4 && p.ends_with(".log"); },
                        [this](int64_t t) { closed.insert(t); }};
  std::vector<std::string> open() const { return history.to_open(); }
};

}  // namespace

TEST_CASE("a file created and rotated twice before anything was read is found where it is now") {
  H h;
  h.history.created("/d/a.log");  // generation 1
  h.history.moved_from("/d/a.log", 1);
  h.history.moved_to("/d/a.log.1", 1);
  h.history.created("/d/a.log");          // generation 2
  h.history.moved_from("/d/a.log.1", 2);  // logrotate shifts the old ones first
  h.history.moved_to("/d/a.log.2", 2);
  h.history.moved_from("/d/a.log", 3);
  h.history.moved_to("/d/a.log.1", 3);
  h.history.created("/d/a.log");  // generation 3
  h.history.end_batch();
  CHECK(h.open() == std::vector<std::string>{"/d/a.log", "/d/a.log.1", "/d/a.log.2"});
  CHECK(h.history.take_lost().empty());
}

TEST_CASE("names that never matched start nothing") {
  H h;
  h.history.created("/d/a.txt");
  h.history.moved_from("/d/a.txt", 1);
  h.history.moved_to("/d/b.txt", 1);
  h.history.deleted("/d/b.txt");
  h.history.end_batch();
  CHECK(h.open().empty());
  CHECK(h.history.take_lost().empty());
}

TEST_CASE("a file deleted before it was opened is lost, under the name it had then") {
  H h;
  h.history.created("/d/a.log");
  h.history.moved_from("/d/a.log", 7);
  h.history.moved_to("/d/a.log.1", 7);
  h.history.deleted("/d/a.log.1");
  h.history.end_batch();
  const auto lost = h.history.take_lost();
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].path == "/d/a.log.1");
  CHECK(lost[0].first_path == "/d/a.log");
  CHECK(std::string(lost[0].reason) == "deleted");
  CHECK(lost[0].pin == -1);
  CHECK(h.open().empty());
}

TEST_CASE("a rename onto a pending file's name loses that file") {
  H h;
  h.history.created("/d/a.log");
  h.history.moved_from("/d/a.log", 1);
  h.history.moved_to("/d/a.log.1", 1);
  h.history.created("/d/a.log");
  h.history.moved_from("/d/a.log", 2);
  h.history.moved_to("/d/a.log.1", 2);  // keep 1: overwrites generation 1
  h.history.end_batch();
  const auto lost = h.history.take_lost();
  REQUIRE(lost.size() == 1);
  CHECK(std::string(lost[0].reason) == "overwritten");
  CHECK(h.open() == std::vector<std::string>{"/d/a.log.1"});
}

TEST_CASE("a move whose other half never comes left the watched directories") {
  H h;
  h.history.created("/d/a.log");
  h.history.moved_from("/d/a.log", 5);
  h.history.end_batch();  // the IN_MOVED_TO may still be in the next read
  CHECK(h.history.take_lost().empty());
  h.history.end_batch();
  const auto lost = h.history.take_lost();
  REQUIRE(lost.size() == 1);
  CHECK(std::string(lost[0].reason) == "moved_away");
}

TEST_CASE("a move split across two reads of the queue is followed") {
  H h;
  h.history.created("/d/a.log");
  h.history.moved_from("/d/a.log", 5);
  h.history.end_batch();
  h.history.moved_to("/d/a.log.1", 5);
  h.history.end_batch();
  CHECK(h.open() == std::vector<std::string>{"/d/a.log.1"});
  CHECK(h.history.take_lost().empty());
}

TEST_CASE("an opened entry is resolved once a whole batch passed without touching it") {
  H h;
  h.history.created("/d/a.log");
  h.history.end_batch();
  REQUIRE(h.open() == std::vector<std::string>{"/d/a.log"});
  h.history.opened("/d/a.log", 40);
  CHECK(h.open().empty());
  CHECK(h.history.size() == 1);
  h.history.end_batch();  // the batch read after the open: nothing moved it
  CHECK(h.history.size() == 0);
  CHECK(h.closed == std::multiset<int64_t>{40});
}

TEST_CASE("an entry moved after it was opened is opened again under its new name") {
  H h;
  h.history.created("/d/a.log");
  h.history.end_batch();
  h.history.opened("/d/a.log", 40);  // but the events say it had moved on already
  h.history.moved_from("/d/a.log", 9);
  h.history.moved_to("/d/a.log.1", 9);
  h.history.end_batch();
  CHECK(h.open() == std::vector<std::string>{"/d/a.log.1"});
  h.history.opened("/d/a.log.1", 41);
  CHECK(h.closed == std::multiset<int64_t>{40});
  h.history.end_batch();
  CHECK(h.closed == std::multiset<int64_t>{40, 41});
}

TEST_CASE("the loss of an opened entry carries its token, so the owner can tell") {
  H h;
  h.history.created("/d/a.log");
  h.history.end_batch();
  h.history.opened("/d/a.log", 40);
  h.history.deleted("/d/a.log");
  const auto lost = h.history.take_lost();
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].pin == 40);  // the receiver owns it now
  CHECK(h.closed.empty());
}

TEST_CASE("a scan's pin stands for the next arrival under its name") {
  H h;
  h.history.pinned_at("/d/a.log", 50);  // the scan opened a.log before its IN_CREATE was read
  h.history.created("/d/a.log");
  h.history.moved_from("/d/a.log", 3);
  h.history.moved_to("/d/a.log.1", 3);
  h.history.deleted("/d/a.log.1");
  const auto lost = h.history.take_lost();
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].pin == 50);
}

TEST_CASE("unused scan pins are handed back after the next batch, and clear() returns all") {
  H h;
  h.history.pinned_at("/d/a.log", 50);
  h.history.end_batch();
  CHECK(h.closed == std::multiset<int64_t>{50});
  h.history.created("/d/b.log");
  h.history.end_batch();
  h.history.opened("/d/b.log", 51);
  h.history.clear();
  CHECK(h.closed == std::multiset<int64_t>{50, 51});
  CHECK(h.history.size() == 0);
}

}  // namespace logagent::plugins::tail

namespace logagent::plugins::tail {

TEST_CASE("a known file renamed within the globs starts nothing, so its deletion is no loss") {
  H h;
  // app.log was opened long ago (resolved); "*.log" also matches a.1.log here.
  h.history.moved_from("/d/a.log", 4);
  h.history.moved_to("/d/a.1.log", 4);
  CHECK(h.open().empty());
  h.history.deleted("/d/a.1.log");
  h.history.end_batch();
  CHECK(h.history.take_lost().empty());
}

TEST_CASE("a file renamed from an unmatched name into the globs is a new arrival") {
  H h;
  h.history.moved_from("/d/a.tmp", 6);
  h.history.moved_to("/d/a.log", 6);
  h.history.end_batch();
  CHECK(h.open() == std::vector<std::string>{"/d/a.log"});
}

}  // namespace logagent::plugins::tail
