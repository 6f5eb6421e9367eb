// FileTracker limits, driven step by step (no thread): the deleted-file caps and the open-files
// budget.
#include "plugins/inputs/tail/file_tracker.h"

#include <doctest/doctest.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <utility>

#include "plugins/inputs/tail/tail_test_support.h"
#include "tracker_harness.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

// A tracker over one directory with its collaborators, stepped by the test.
struct Harness {
  explicit Harness(const TailOptions& o)
      : options(o),
        scanner(options.paths, {}, "/"),
        watcher(false),
        metrics(plugin.ctx.metrics),
        chunk(ctx.pool(), ctx.stop_token()),
        env{ctx, chunk, metrics, 1024 * 1024, 16 * 1024, false},
        tracker(options, scanner, watcher, metrics) {}

  void read_all() {
    tracker.mark_all();
    read_marked();
  }
  // What the live loop does after a rescan and maintain(): read the files marked so far.
  void read_marked() {
    bool stopped = false;
    while (tracker.read_round(env, &stopped) && !stopped) {
    }
  }

  Plugin plugin;
  FakeInputContext ctx{/*once=*/false};
  TailOptions options;
  PathScanner scanner;
  InotifyWatcher watcher;
  TailMetrics metrics;
  ChunkCursor chunk;
  ReadEnv env;
  FileTracker tracker;
};

}  // namespace

TEST_CASE("unread bytes of a deleted file past deleted_max_age are abandoned and counted") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  TailOptions options = fast_options(dir / "*.log");
  options.deleted_max_age.value = std::chrono::milliseconds(0);
  Harness h(options);
  h.tracker.start(h.env);
  h.read_all();
  append_file(dir / "a.log", "unread line\n");
  REQUIRE(::unlink((dir / "a.log").c_str()) == 0);
  h.tracker.rescan(h.env);  // the path is gone: the file is draining, nothing read yet
  h.tracker.maintain(h.env, mono_now_ns());
  CHECK(h.tracker.files() == 0);
  CHECK(h.plugin.counter("logagent_input_bytes_abandoned_total", {{"reason", "deleted_age_cap"}}) ==
        12);
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1"});
  h.chunk.release();
}

TEST_CASE("deleted files beyond deleted_max_pinned are abandoned, oldest first") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  write_file(dir / "b.log", "b1\n");
  TailOptions options = fast_options(dir / "*.log");
  options.deleted_max_pinned.bytes = 10;
  Harness h(options);
  h.tracker.start(h.env);
  h.read_all();
  append_file(dir / "a.log", "aaaaaaaaaa\n");  // 11 unread bytes
  REQUIRE(::unlink((dir / "a.log").c_str()) == 0);
  h.tracker.rescan(h.env);
  h.tracker.maintain(h.env, mono_now_ns());
  CHECK(h.tracker.files() == 1);  // b.log stays
  CHECK(h.plugin.counter("logagent_input_bytes_abandoned_total",
                         {{"reason", "deleted_pinned_cap"}}) == 11);
  h.chunk.release();
}

TEST_CASE("a deleted file within the caps is kept open until it is drained") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  Harness h(fast_options(dir / "*.log"));
  h.tracker.start(h.env);
  h.read_all();
  append_file(dir / "a.log", "a2\n");
  REQUIRE(::unlink((dir / "a.log").c_str()) == 0);
  h.tracker.rescan(h.env);
  h.tracker.maintain(h.env, mono_now_ns());
  CHECK(h.tracker.files() == 1);
  h.read_all();
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1", "a2"});
  h.chunk.release();
}

TEST_CASE("files closed by the open-files budget stay closed across rescans until they change") {
  TempDir dir;
  for (const char* name : {"a.log", "b.log", "c.log"}) write_file(dir / name, "x\n");
  TailOptions options = fast_options(dir / "*.log");
  options.max_open_files = 1;
  options.idle_close_after.value = std::chrono::milliseconds(0);
  Harness h(options);
  h.tracker.start(h.env);
  h.read_all();
  for (int i = 0; i < 3; ++i) {  // the live loop's order: rescan, maintain, read
    h.tracker.rescan(h.env);
    h.tracker.maintain(h.env, mono_now_ns());
    h.read_marked();
    CHECK(h.tracker.open_files() == 1);
    h.tracker.mark_all();  // a poll tick
    h.read_marked();
    CHECK(h.tracker.open_files() == 1);
  }
  CHECK(h.plugin.counter("logagent_input_files_closed_idle_total") == 2);
  // A closed file that grows is reopened by the rescan and read on.
  append_file(dir / "a.log", "a2\n");
  append_file(dir / "c.log", "c2\n");
  h.tracker.rescan(h.env);
  h.read_all();
  CHECK(h.ctx.texts_of(dir / "a.log") == std::vector<std::string>{"x", "a2"});
  CHECK(h.ctx.texts_of(dir / "c.log") == std::vector<std::string>{"x", "c2"});
  h.chunk.release();
}

TEST_CASE("a closed file created again with the same inode and size is read from its start") {
  TempDir dir;
  write_file(dir / "a.log", "keeps the descriptor\n");
  write_file(dir / "b.log", "old b line\n");
  TailOptions options = fast_options(dir / "*.log");
  options.max_open_files = 1;
  options.idle_close_after.value = std::chrono::milliseconds(0);
  Harness h(options);
  h.tracker.start(h.env);
  h.read_all();
  append_file(dir / "a.log", "a2\n");  // a.log is the more recently active one
  h.read_all();
  h.tracker.maintain(h.env, mono_now_ns());
  REQUIRE(h.tracker.open_files() == 1);
  struct stat old {};
  REQUIRE(::stat((dir / "b.log").c_str(), &old) == 0);
  REQUIRE(::unlink((dir / "b.log").c_str()) == 0);
  write_file(dir / "b.log", "new b line\n");  // same size
  struct stat now {};
  REQUIRE(::stat((dir / "b.log").c_str(), &now) == 0);
  if (now.st_ino != old.st_ino) {
    MESSAGE("the file system did not reuse the inode; nothing to check");
    h.chunk.release();
    return;
  }
  // Another mtime (set explicitly: two writes within one clock tick may share one).
  const timespec times[2] = {{0, UTIME_OMIT}, {old.st_mtim.tv_sec + 1, old.st_mtim.tv_nsec}};
  REQUIRE(::utimensat(AT_FDCWD, (dir / "b.log").c_str(), times, 0) == 0);
  h.tracker.rescan(h.env);
  h.read_all();
  CHECK(h.ctx.texts_of(dir / "b.log") == std::vector<std::string>{"old b line", "new b line"});
  h.chunk.release();
}

TEST_CASE("files beyond max_open_files are opened only to be read, then closed again") {
  TempDir dir;
  for (int i = 0; i < 6; ++i) write_file(dir / ("f" + std::to_string(i) + ".log"), "line\n");
  TailOptions options = fast_options(dir / "*.log");
  options.max_open_files = 2;
  Harness h(options);
  h.tracker.start(h.env);
  CHECK(h.tracker.files() == 6);
  CHECK(h.tracker.open_files() == 2);  // the other four wait closed, marked to be read
  h.read_marked();
  CHECK(h.ctx.texts().size() == 6);
  CHECK(h.tracker.open_files() == 2);
  // A closed file that grows: the rescan sees it, read_round() opens, reads and closes it.
  append_file(dir / "f5.log", "more\n");
  h.tracker.rescan(h.env);
  CHECK(h.tracker.open_files() == 2);
  h.read_marked();
  CHECK(h.ctx.texts_of(dir / "f5.log") == std::vector<std::string>{"line", "more"});
  CHECK(h.tracker.open_files() == 2);
  // A change notification for a closed file does the same.
  append_file(dir / "f4.log", "notified\n");
  h.tracker.notify(dir / "f4.log");
  h.read_marked();
  CHECK(h.ctx.texts_of(dir / "f4.log") == std::vector<std::string>{"line", "notified"});
  CHECK(h.tracker.open_files() == 2);
  CHECK(h.tracker.budget().held() == 2);
  h.chunk.release();
}

TEST_CASE("the open-files budget counts every open reader, through rotation, deletion and drains") {
  TempDir dir;
  for (int i = 0; i < 4; ++i) write_file(dir / ("f" + std::to_string(i) + ".log"), "line\n");
  TailOptions options = fast_options(dir / "*.log");
  options.max_open_files = 2;
  options.idle_close_after.value = std::chrono::milliseconds(0);
  options.scan_interval.value = std::chrono::milliseconds(0);  // no drain grace
  Harness h(options);
  auto balanced = [&] { return h.tracker.budget().held() == h.tracker.open_files(); };
  h.tracker.start(h.env);
  CHECK(balanced());
  h.read_marked();
  CHECK(balanced());
  // Rotated out of the glob (drained, forced open beyond the budget) and deleted (drained).
  append_file(dir / "f0.log", "f0 last\n");
  REQUIRE(::rename((dir / "f0.log").c_str(), (dir / "f0.log.1").c_str()) == 0);
  // Dormant (closed at its end, over the budget), it grows, discovery reports the change, and it
  // is deleted before it could be reopened: its new line is lost, and counted.
  REQUIRE(!h.tracker.budget().room());
  append_file(dir / "f3.log", "f3 last\n");
  h.tracker.notify(dir / "f3.log");
  REQUIRE(::unlink((dir / "f3.log").c_str()) == 0);
  write_file(dir / "f4.log", "new\n");
  h.tracker.rescan(h.env);
  CHECK(balanced());
  h.read_marked();
  CHECK(balanced());
  h.tracker.maintain(h.env, mono_now_ns());  // the drained ones are let go
  CHECK(balanced());
  CHECK(h.tracker.files() == 3);
  CHECK(h.tracker.budget().held() <= 2);
  std::vector<std::string> texts = h.ctx.texts();
  std::sort(texts.begin(), texts.end());
  std::string all;
  for (const std::string& t : texts) all += t + "|";
  CAPTURE(all);
  CHECK(texts == std::vector<std::string>{"f0 last", "line", "line", "line", "line", "new"});
  CHECK(h.plugin.counter("logagent_input_files_lost_total", {{"reason", "deleted"}}) == 1);
  h.chunk.release();
}

TEST_CASE("a read round gives way after its time slice and the next one goes on from there") {
  TempDir dir;
  const std::string line(1023, 'x');
  std::string big;
  for (int i = 0; i < 8 * 1024; ++i) big += line + "\n";  // 8 MiB: two turns' worth
  for (const char* name : {"a.log", "b.log", "c.log"}) write_file(dir / name, big);
  Harness h(fast_options(dir / "*.log"));
  h.ctx.auto_complete = true;
  h.tracker.start(h.env);
  // The first batch takes longer than the whole slice (as on a starved machine): the round
  // gives way after that file's turn, which itself stops at the slice, not at its kTurnBytes.
  bool slow = true;
  h.ctx.on_emit = [&slow] {
    if (std::exchange(slow, false)) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(FileTracker::kRoundNs + 1'000'000));
    }
  };
  bool stopped = false;
  CHECK(h.tracker.read_round(h.env, &stopped));
  size_t files_read = 0;
  for (const char* name : {"a.log", "b.log", "c.log"}) {
    const size_t n = h.ctx.texts_of(dir / name).size();
    if (n != 0) ++files_read;
    CHECK(n < 8 * 1024);
  }
  CHECK(files_read <= 1);  // (none if the slice ran out before the first batch was full)
  CHECK(h.env.deadline == std::numeric_limits<int64_t>::max());
  while (h.tracker.read_round(h.env, &stopped) && !stopped) {
  }
  for (const char* name : {"a.log", "b.log", "c.log"}) {
    CHECK(h.ctx.texts_of(dir / name).size() == 8 * 1024);
  }
  h.chunk.release();
}

TEST_CASE(
    "a file that could not be opened and was rotated away before a retry is read to its end") {
  TempDir dir;
  write_file(dir / "a.log", "a1\na2\n");
  SysHarness h(fast_options(dir / "*.log"));
  h.sys.fail(SysCall::kOpen, EMFILE, "a.log");
  h.tracker.start(h.env);
  REQUIRE(h.tracker.files() == 0);
  REQUIRE(::rename((dir / "a.log").c_str(), (dir / "a.log.1").c_str()) == 0);  // out of the globs
  write_file(dir / "a.log", "new\n");
  h.tracker.rescan(h.env);
  h.read_all();
  CHECK(h.ctx.texts_of(dir / "a.log.1") == std::vector<std::string>{"a1", "a2"});
  CHECK(h.ctx.texts_of(dir / "a.log") == std::vector<std::string>{"new"});
  CHECK(h.tracker.unopened().empty());
}

TEST_CASE("a read_from tail start is checkpointed before reading, so a restart reads what came") {
  TempDir dir;
  write_file(dir / "a.log", "old1\nold2\n");
  TailOptions o = fast_options(dir / "*.log");
  o.read_from = ReadFrom::kTail;
  std::vector<CheckpointEntry> saved;
  {
    SysHarness h(o);
    h.tracker.start(h.env);
    const auto saves = h.ctx.saves();
    REQUIRE(saves.size() == 1);
    CHECK(saves[0].lines_before == 0);
    REQUIRE(saves[0].entries.size() == 1);
    CHECK(saves[0].entries[0].offset == 10);
    saved = saves[0].entries;
  }  // killed before any acknowledgement
  append_file(dir / "a.log", "new1\nnew2\n");
  SysHarness h(o);
  h.ctx.saved() = saved;
  h.tracker.start(h.env);
  h.read_all();
  CHECK(h.ctx.texts() == std::vector<std::string>{"new1", "new2"});
}

TEST_CASE("a start that chose no start point now writes no early checkpoint") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness head(fast_options(dir / "*.log"));  // read_from: head: a restart starts at 0 again
  head.tracker.start(head.env);
  CHECK(head.ctx.saves().empty());

  TailOptions o = fast_options(dir / "*.log");
  o.read_from = ReadFrom::kTail;
  SysHarness resumed(o);  // every file resumes at its checkpoint
  resumed.ctx.saved() = head.ctx.acks().snapshot();
  resumed.tracker.start(resumed.env);
  CHECK(resumed.ctx.saves().empty());
}

}  // namespace logagent::plugins::tail
