// Following files while running: held partial lines, rotation, truncation, idle behaviour.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

TEST_CASE("in live mode a line without newline is held until its newline arrives") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntw");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "a.log"));
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(ctx.texts() == std::vector<std::string>{"one"});
  append_file(dir / "a.log", "o\nthree\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 3; }));
  run.stop();
  const std::vector<Line> lines = ctx.lines();
  CHECK(lines[1].text == "two");
  CHECK(lines[1].flags == 0);
  CHECK(lines[1].offset == 4);
  CHECK(lines[2].text == "three");
}

TEST_CASE("rename rotation reads the old file to its end, then the new file from 0") {
  TempDir dir;
  write_file(dir / "app.log", "old1\nold2\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 2; }));
  // The writer keeps its descriptor across the rename and appends once more before reopening.
  const int writer = ::open((dir / "app.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  REQUIRE(writer >= 0);
  REQUIRE(std::rename((dir / "app.log").c_str(), (dir / "app.log.1").c_str()) == 0);
  const std::string late = "old3\n";
  REQUIRE(::write(writer, late.data(), late.size()) == static_cast<ssize_t>(late.size()));
  ::close(writer);
  write_file(dir / "app.log", "new1\nnew2\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 5; }));
  run.stop();
  CHECK(ctx.texts_of(dir / "app.log") ==
        std::vector<std::string>{"old1", "old2", "old3", "new1", "new2"});
  std::vector<uint64_t> new_offsets;
  for (const Line& l : ctx.lines()) {
    if (l.text.rfind("new", 0) == 0) new_offsets.push_back(l.offset);
  }
  CHECK(new_offsets == std::vector<uint64_t>{0, 5});
  CHECK(plugin.counter("logagent_input_rotations_total") >= 1);
}

TEST_CASE("a renamed file is drained, closed and forgotten after the grace period") {
  TempDir dir;
  write_file(dir / "app.log", "a\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  REQUIRE(std::rename((dir / "app.log").c_str(), (dir / "app.old").c_str()) == 0);
  REQUIRE(wait_until([&] { return plugin.gauge("logagent_input_files_watched") == 0; }));
  CHECK(plugin.gauge("logagent_files_open") == 0);
  ctx.complete_all();
  CHECK(ctx.acks().snapshot().empty());
}

TEST_CASE("copy-truncate restarts at 0 with a new generation and is counted") {
  TempDir dir;
  write_file(dir / "a.log", "line one\nline two\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "a.log"));
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 2; }));
  SUBCASE("truncated below the offset") { write_file(dir / "a.log", "t1\n"); }
  SUBCASE("truncated and rewritten past the offset") {
    write_file(dir / "a.log", "rewritten 1\nrewritten 2\nrewritten 3\n");
  }
  REQUIRE(wait_until([&] { return plugin.counter("logagent_input_truncations_total") == 1; }));
  REQUIRE(wait_until([&] {
    const auto t = ctx.texts();
    return t.size() >= 3 && (t.back() == "t1" || t.back() == "rewritten 3");
  }));
  run.stop();
  const std::vector<Line> lines = ctx.lines();
  CHECK(lines[2].offset == 0);
  CHECK(ctx.records().back().generation == 1);
  CHECK(plugin.counter("logagent_input_truncations_total") == 1);
}

TEST_CASE("a file deleted with unread bytes is drained from its open descriptor") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  const int writer = ::open((dir / "a.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  REQUIRE(::unlink((dir / "a.log").c_str()) == 0);
  const std::string late = "a2\n";
  REQUIRE(::write(writer, late.data(), late.size()) == 3);
  ::close(writer);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 2; }));
  CHECK(ctx.texts().back() == "a2");
}

TEST_CASE("the pool's in_use returns to 0 once batches complete and the input is idle") {
  TempDir dir;
  write_file(dir / "a.log", joined(numbered("l", 1, 1000)));
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1000; }));
  append_file(dir / "a.log", "more\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1001; }));
  ctx.complete_all();
  CHECK(wait_until([&] { return ctx.pool().in_use() == 0; }));
  CHECK(ctx.acks().in_flight() == 0);
}

TEST_CASE("idle files beyond max_open_files are closed and reopened when they grow") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  write_file(dir / "b.log", "b1\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = fast_options(dir / "*.log");
  options.max_open_files = 1;
  options.idle_close_after.value = std::chrono::milliseconds(0);
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 2; }));
  REQUIRE(wait_until([&] { return plugin.gauge("logagent_files_open") == 1; }));
  append_file(dir / "a.log", "a2\n");
  append_file(dir / "b.log", "b2\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 4; }));
  run.stop();
  CHECK(ctx.texts_of(dir / "a.log") == std::vector<std::string>{"a1", "a2"});
  CHECK(ctx.texts_of(dir / "b.log") == std::vector<std::string>{"b1", "b2"});
  CHECK(plugin.counter("logagent_input_files_closed_idle_total") >= 1);
}

TEST_CASE("a stop request ends the input promptly while it waits") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = fast_options(dir / "*.log");
  options.scan_interval.value = std::chrono::seconds(30);
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  run.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
}

TEST_CASE("new files created while running are picked up through inotify") {
  TempDir dir;
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = fast_options(dir / "*.log");
  options.scan_interval.value = std::chrono::seconds(30);
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  write_file(dir / "n.log", "n1\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  append_file(dir / "n.log", "n2\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 2; }));
  CHECK(plugin.gauge("logagent_input_inotify_fallback") == 0);
}

TEST_CASE("a stopped tail input leaves its files gauges at 0") {
  // Its pipeline removed by a reload: nothing sets these series any more.
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  write_file(dir / "b.log", "b\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return plugin.gauge("logagent_input_files_watched") == 2; }));
  run.stop();
  CHECK(plugin.gauge("logagent_files_open") == 0);
  CHECK(plugin.gauge("logagent_input_files_watched") == 0);
  ctx.complete_all();
}

}  // namespace logagent::plugins::tail
