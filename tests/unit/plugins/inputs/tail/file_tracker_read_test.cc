// FileTracker's read rounds through the syscall seam: a failed read or open is counted and
// retried, and the multiline flush of idle files runs on the manual clock.
#include <doctest/doctest.h>
#include <errno.h>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "plugins/inputs/tail/file_tracker.h"
#include "tracker_harness.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT
using std::chrono::milliseconds;

TEST_CASE("a failed read is counted, and the file is read on at its next mark") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h(fast_options(dir / "*.log"));
  h.tracker.start(h.env);
  h.sys.fail(SysCall::kPread, EIO, "a.log");
  h.read_all();
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
  CHECK(h.ctx.texts().empty());
  h.read_marked();  // not marked again: no retry loop on a failing file
  CHECK(h.ctx.texts().empty());
  h.tracker.mark_all();  // a poll tick, a rescan, or a change notification
  h.read_marked();
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1"});
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
}

TEST_CASE("a file that cannot be opened is counted once per failed try and retried at each scan") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h(fast_options(dir / "*.log"));
  h.sys.fail(SysCall::kOpen, EACCES, "a.log", 2);
  h.tracker.start(h.env);
  CHECK(h.tracker.files() == 0);
  CHECK(h.tracker.unopened().at(dir / "a.log") == EACCES);
  CHECK(h.counter("logagent_input_open_errors_total") == 1);
  h.tracker.rescan(h.env);
  CHECK(h.counter("logagent_input_open_errors_total") == 2);
  h.tracker.rescan(h.env);  // it can be opened now
  CHECK(h.tracker.unopened().empty());
  h.read_all();
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1"});
}

TEST_CASE("too many open files (EMFILE) at start-up: the file is opened at a later scan") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  write_file(dir / "b.log", "b1\n");
  SysHarness h(fast_options(dir / "*.log"));
  h.sys.fail(SysCall::kOpen, EMFILE, "b.log");
  h.tracker.start(h.env);
  CHECK(h.tracker.files() == 1);
  CHECK(h.tracker.unopened().at(dir / "b.log") == EMFILE);
  h.tracker.rescan(h.env);
  h.read_all();
  CHECK(h.ctx.texts_of(dir / "b.log") == std::vector<std::string>{"b1"});
  CHECK(h.counter("logagent_input_open_errors_total") == 1);
}

TEST_CASE("a file gone between the scan and the open (ENOENT) is no error") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h(fast_options(dir / "*.log"));
  h.sys.fail(SysCall::kOpen, ENOENT, "a.log");
  h.tracker.start(h.env);
  CHECK(h.tracker.files() == 0);
  CHECK(h.tracker.unopened().empty());
  CHECK(h.counter("logagent_input_open_errors_total") == 0);
}

TEST_CASE("a held multiline event is emitted once its file has been idle for flush_after") {
  TempDir dir;
  write_file(dir / "a.log", "event\n more\n");
  SysHarness h(fast_options(dir / "*.log"));
  h.join(continue_blank(milliseconds(5000)));
  h.tracker.start(h.env);
  h.read_all();
  REQUIRE(h.ctx.texts().empty());
  CHECK(h.tracker.next_flush(h.env) == FakeTailSys::kStartNs + 5'000'000'000);
  bool stopped = false;
  h.sys.advance(milliseconds(4999));
  CHECK_FALSE(h.tracker.flush_idle(h.env, h.sys.mono_now_ns(), &stopped));
  CHECK(h.ctx.texts().empty());
  h.sys.advance(milliseconds(1));
  CHECK(h.tracker.flush_idle(h.env, h.sys.mono_now_ns(), &stopped));
  CHECK_FALSE(stopped);
  CHECK(h.ctx.texts() == std::vector<std::string>{"event\n more"});
  CHECK(h.tracker.next_flush(h.env) == std::numeric_limits<int64_t>::max());
  CHECK(h.counter("logagent_multiline_flushes_total", {{"reason", "flush_after"}}) == 1);
}

TEST_CASE("a held event whose file grew meanwhile waits for another flush_after") {
  TempDir dir;
  write_file(dir / "a.log", "event\n");
  SysHarness h(fast_options(dir / "*.log"));
  h.join(continue_blank(milliseconds(1000)));
  h.tracker.start(h.env);
  h.read_all();
  h.sys.advance(milliseconds(1000));
  append_file(dir / "a.log", " more\n");
  bool stopped = false;
  CHECK_FALSE(h.tracker.flush_idle(h.env, h.sys.mono_now_ns(), &stopped));
  h.read_marked();  // the round continues the event
  CHECK(h.tracker.next_flush(h.env) == h.sys.mono_now_ns() + 1'000'000'000);
  h.sys.advance(milliseconds(1000));
  CHECK(h.tracker.flush_idle(h.env, h.sys.mono_now_ns(), &stopped));
  CHECK(h.ctx.texts() == std::vector<std::string>{"event\n more"});
}

TEST_CASE("held lines that cannot be read are kept, counted, and tried after another flush_after") {
  TempDir dir;
  write_file(dir / "a.log", "event\n more\n");
  SysHarness h(fast_options(dir / "*.log"));
  h.join(continue_blank(milliseconds(1000)));
  h.tracker.start(h.env);
  h.read_all();
  h.sys.advance(milliseconds(1000));
  h.sys.fail(SysCall::kPread, EIO, "a.log", 1);
  bool stopped = false;
  CHECK_FALSE(h.tracker.flush_idle(h.env, h.sys.mono_now_ns(), &stopped));
  CHECK(h.ctx.texts().empty());
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
  CHECK(h.tracker.next_flush(h.env) == h.sys.mono_now_ns() + 1'000'000'000);  // no busy retry
  h.sys.advance(milliseconds(1000));
  CHECK(h.tracker.flush_idle(h.env, h.sys.mono_now_ns(), &stopped));
  CHECK(h.ctx.texts() == std::vector<std::string>{"event\n more"});
}

TEST_CASE("a file beyond max_open_files whose read failed is reopened at the next scan") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  write_file(dir / "b.log", "b1\n");
  TailOptions options = fast_options(dir / "*.log");
  options.max_open_files = 1;
  SysHarness h(options);
  h.tracker.start(h.env);
  // Its reopen checks its first bytes, its sync checks them again, then the read fails.
  h.sys.fail(SysCall::kPread, EIO, "b.log", 1, /*after=*/2);
  h.read_all();  // b.log is opened beyond the budget, fails, and is closed again
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
  CHECK(h.ctx.texts_of(dir / "b.log").empty());
  CHECK(h.tracker.open_files() == 1);
  h.tracker.rescan(h.env);  // unchanged on disk, but its last read failed: reopened
  h.read_marked();
  CHECK(h.ctx.texts_of(dir / "b.log") == std::vector<std::string>{"b1"});
}

}  // namespace logagent::plugins::tail
