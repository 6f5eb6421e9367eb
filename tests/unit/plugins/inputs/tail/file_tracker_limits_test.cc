// FileTracker's maintenance on a manual clock: drained files closed after their grace,
// deleted_max_age and idle_close_after decided by the time the test sets, deterministically.
#include <doctest/doctest.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "plugins/inputs/tail/file_tracker.h"
#include "tracker_harness.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT
using std::chrono::seconds;

TEST_CASE("a deleted file's unread bytes are kept until deleted_max_age passes, then abandoned") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  TailOptions options = fast_options(dir / "*.log");
  options.deleted_max_age.value = std::chrono::minutes(1);
  SysHarness h(options);
  h.tracker.start(h.env);
  h.read_all();
  append_file(dir / "a.log", "unread line\n");
  REQUIRE(::unlink((dir / "a.log").c_str()) == 0);
  h.tracker.rescan(h.env);  // the path is gone: draining, its last bytes not read yet
  h.maintain();             // sees it deleted now
  h.sys.advance(seconds(59));
  h.maintain();
  CHECK(h.tracker.files() == 1);
  CHECK(h.counter("logagent_input_bytes_abandoned_total", {{"reason", "deleted_age_cap"}}) == 0);
  h.sys.advance(seconds(1));
  h.maintain();
  CHECK(h.tracker.files() == 0);
  CHECK(h.counter("logagent_input_bytes_abandoned_total", {{"reason", "deleted_age_cap"}}) == 12);
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1"});
  CHECK(h.sys.open_fds() == 0);
}

TEST_CASE("a drained file is closed once scan_interval has passed since it was let go") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  TailOptions options = fast_options(dir / "*.log");
  options.scan_interval.value = std::chrono::seconds(10);
  SysHarness h(options);
  h.tracker.start(h.env);
  h.read_all();
  REQUIRE(::rename((dir / "a.log").c_str(), (dir / "a.log.1").c_str()) == 0);
  h.tracker.rescan(h.env);
  REQUIRE(h.tracker.has_draining());
  h.sys.advance(seconds(9));
  h.maintain();
  CHECK(h.tracker.files() == 1);  // grace: its writer may still append
  append_file(dir / "a.log.1", "late\n");
  h.read_all();
  h.sys.advance(seconds(1));
  h.maintain();
  CHECK(h.tracker.files() == 0);
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1", "late"});
  CHECK(h.sys.open_fds() == 0);
}

TEST_CASE("over max_open_files, a file idle for idle_close_after is closed, not before") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  write_file(dir / "b.log", "b1\n");
  TailOptions options = fast_options(dir / "*.log");
  options.max_open_files = 1;
  options.idle_close_after.value = std::chrono::seconds(30);
  SysHarness h(options);
  h.join(continue_blank(std::chrono::hours(1)));  // b.log's event stays held: b.log stays open
  h.tracker.start(h.env);
  h.read_all();
  REQUIRE(h.tracker.open_files() == 2);  // one beyond the budget
  h.sys.advance(seconds(29));
  h.maintain();
  CHECK(h.tracker.open_files() == 2);
  CHECK(h.counter("logagent_input_files_closed_idle_total") == 0);
  h.sys.advance(seconds(1));
  h.maintain();
  CHECK(h.tracker.open_files() == 1);
  CHECK(h.counter("logagent_input_files_closed_idle_total") == 1);
}

TEST_CASE("an idle file that grew is read before the budget would close it") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  write_file(dir / "b.log", "b1\n");
  TailOptions options = fast_options(dir / "*.log");
  options.max_open_files = 1;
  options.idle_close_after.value = std::chrono::seconds(30);
  SysHarness h(options);
  h.join(continue_blank(std::chrono::hours(1)));
  h.tracker.start(h.env);
  h.read_all();
  REQUIRE(h.tracker.open_files() == 2);
  h.sys.advance(seconds(31));
  append_file(dir / "a.log", "a2\n");
  append_file(dir / "b.log", "b2\n");
  h.maintain();  // both grew: neither is closed
  CHECK(h.tracker.open_files() == 2);
  CHECK(h.counter("logagent_input_files_closed_idle_total") == 0);
}

TEST_CASE(
    "a draining file that cannot be examined is kept and tried again, until deleted_max_age") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  TailOptions options = fast_options(dir / "*.log");
  options.scan_interval.value = std::chrono::seconds(0);  // no drain grace
  options.deleted_max_age.value = std::chrono::minutes(1);
  SysHarness h(options);
  h.tracker.start(h.env);
  h.read_all();
  append_file(dir / "a.log", "a2\n");
  REQUIRE(::rename((dir / "a.log").c_str(), (dir / "a.log.1").c_str()) == 0);
  h.tracker.rescan(h.env);
  REQUIRE(h.tracker.has_draining());
  h.sys.fail(SysCall::kFstat, EIO, "a.log");
  h.maintain();
  CHECK(h.tracker.files() == 1);  // not dropped with its last line unread
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
  h.read_all();
  h.maintain();
  CHECK(h.tracker.files() == 0);
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1", "a2"});
  // An error that lasts past deleted_max_age lets the file go.
  write_file(dir / "b.log", "b1\n");
  h.tracker.rescan(h.env);
  h.read_all();
  REQUIRE(::rename((dir / "b.log").c_str(), (dir / "b.log.1").c_str()) == 0);
  h.tracker.rescan(h.env);
  h.sys.fail(SysCall::kFstat, EIO, "b.log", -1);
  h.maintain();
  CHECK(h.tracker.files() == 1);
  h.sys.advance(std::chrono::minutes(1));
  h.maintain();
  CHECK(h.tracker.files() == 0);
  h.sys.clear_faults();
}

}  // namespace logagent::plugins::tail
