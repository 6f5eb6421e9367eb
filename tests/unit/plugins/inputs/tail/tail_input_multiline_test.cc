// Multiline joining through the whole tail input: chunk boundaries, buffer limits, held events
// and their flushes, the checkpoint, truncation and rotation.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>

#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

TailOptions multiline_options(const std::string& pattern, std::optional<MultilineBuiltin> mode,
                              const std::string& start = "", const std::string& cont = "") {
  TailOptions o = fast_options(pattern);
  o.multiline.mode = mode;
  o.multiline.start = start;
  o.multiline.continue_pattern = cont;
  return o;
}

// Every batch covers [begin, end) right after the previous one; returns the last end.
uint64_t check_contiguous(FakeInputContext& ctx, uint64_t from = 0) {
  uint64_t next = from;
  for (const BatchRecord& b : ctx.records()) {
    CHECK(b.begin == next);
    CHECK(b.end > b.begin);
    next = b.end;
  }
  return next;
}

// A Java event: a message line, or a message with an exception, frames and causes.
std::string java_event(std::mt19937& rng, int i) {
  std::string e =
      "2024-05-01 12:00:00." + std::to_string(i) + " INFO c.e.App - event " + std::to_string(i);
  if (rng() % 3 != 0) return e;
  e += "\njava.lang.IllegalStateException: failure " + std::to_string(i);
  const int frames = static_cast<int>(rng() % 40) + (rng() % 10 == 0 ? 300 : 1);
  for (int f = 0; f < frames; ++f) {
    e += "\n\tat com.example.Service" + std::to_string(f) +
         ".call(Service.java:" + std::to_string(f + 10) + ")";
    if (f == frames / 2) e += "\nCaused by: java.io.IOException: disk " + std::to_string(f);
  }
  return e + "\n\t... " + std::to_string(rng() % 50) + " more";
}

}  // namespace

TEST_CASE("--once: java traces come out joined and whole across chunk boundaries") {
  TempDir dir;
  std::mt19937 rng(3);
  std::vector<std::string> expected;
  std::string data;
  for (int i = 0; i < 1500; ++i) {
    expected.push_back(java_event(rng, i));  // some are ~20 KiB: five 4 KiB chunks
    data += expected.back() + "\n";
  }
  write_file(dir / "a.log", data);
  FakeInputContext ctx(/*once=*/true, 1024 * 1024, 4096);
  ctx.auto_complete = true;
  Plugin plugin;
  TailOptions options = multiline_options(dir / "a.log", MultilineBuiltin::kJava);
  options.max_line_bytes.bytes = 16 * 1024;
  options.multiline.max_lines = 1000;
  options.multiline.max_bytes.bytes = 64 * 1024;
  auto input = plugin.make(options);
  input->run(ctx);
  const std::vector<Line> events = ctx.lines();
  REQUIRE(events.size() == expected.size());
  uint64_t offset = 0;
  size_t joined = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].text == expected[i]);
    CHECK(events[i].offset == offset);
    CHECK(events[i].flags == 0);
    offset += expected[i].size() + 1;
    joined += expected[i].find('\n') != std::string::npos;
  }
  CHECK(check_contiguous(ctx) == data.size());
  CHECK(plugin.counter("logagent_multiline_joined_events_total") == static_cast<double>(joined));
  CHECK(plugin.counter("logagent_multiline_flushes_total", {{"reason", "eof"}}) == 1);
  CHECK(ctx.pool().in_use() == 0);
}

TEST_CASE("an event larger than the pool can hold is cut at the buffer, flagged, nothing lost") {
  TempDir dir;
  std::string data = "head\n";
  for (int i = 0; i < 1500; ++i)
    data += " continuation " + std::string(85, static_cast<char>('a' + i % 26)) + "\n";
  data += "next\n";  // ~150 KB in one event; the pool holds 64 KiB
  write_file(dir / "a.log", data);
  FakeInputContext ctx(/*once=*/true, 64 * 1024, 4096);
  ctx.auto_complete = true;
  Plugin plugin;
  TailOptions options = multiline_options(dir / "a.log", std::nullopt, "", R"(^\s)");
  options.max_line_bytes.bytes = 1024;
  options.multiline.max_lines = 100000;
  auto input = plugin.make(options);
  input->run(ctx);
  const std::vector<Line> events = ctx.lines();
  REQUIRE(events.size() >= 3);
  std::string rebuilt;
  for (const Line& e : events) {
    rebuilt += e.text + "\n";
    CHECK(e.text.size() <= 64 * 1024);
  }
  CHECK(rebuilt == data);
  CHECK(events[0].flags == kEventTruncated);
  CHECK(events.back().text == "next");
  CHECK(plugin.counter("logagent_multiline_flushes_total", {{"reason", "max_bytes"}}) >= 2);
  CHECK(check_contiguous(ctx) == data.size());
  CHECK(ctx.pool().in_use() == 0);
}

TEST_CASE("--once, once_partial_line: emit: the held event is emitted at EOF with its last line") {
  TempDir dir;
  write_file(dir / "a.log", "ERROR x\njava.lang.Error: e\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java");
  FakeInputContext ctx(/*once=*/true);
  Plugin plugin;
  TailOptions options = multiline_options(dir / "a.log", MultilineBuiltin::kJava);
  options.once_partial_line = PartialLine::kEmit;
  auto input = plugin.make(options);
  input->run(ctx);
  const std::vector<Line> events = ctx.lines();
  REQUIRE(events.size() == 1);
  CHECK(events[0].text == "ERROR x\njava.lang.Error: e\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java");
  CHECK(events[0].flags == kEventNoNewline);
  CHECK(check_contiguous(ctx) == 63);
}

TEST_CASE("--once holds an event whose last line has no newline yet; the next run joins it whole") {
  TempDir dir;
  const std::string head =
      "1 first\nERROR x\njava.lang.Error: e\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.j";
  write_file(dir / "a.log", head);
  Plugin plugin;
  TailOptions options = multiline_options(dir / "a.log", MultilineBuiltin::kJava);
  FakeInputContext first(/*once=*/true);
  plugin.make(options)->run(first);
  // Only "1 first" is complete: the event after it may go on with the held line.
  CHECK(first.texts() == std::vector<std::string>{"1 first"});
  CHECK(check_contiguous(first) == 8);
  // The writer finishes the line; the next run starts where the checkpoint is.
  append_file(dir / "a.log", "ava:2)\nnext\n");
  first.complete_all();
  FakeInputContext second(/*once=*/true);
  second.saved() = first.acks().snapshot();
  plugin.make(options)->run(second);
  CHECK(second.texts() ==
        std::vector<std::string>{
            "ERROR x\njava.lang.Error: e\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java:2)", "next"});
}

TEST_CASE("live: a held event is never covered by a batch, so the checkpoint stops before it") {
  TempDir dir;
  write_file(dir / "a.log", "1 a\n 1b\n2 c\n 2d\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = multiline_options(dir / "a.log", std::nullopt, R"(^\d)");
  options.multiline.flush_after.value = std::chrono::hours(1);
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  CHECK(ctx.texts() == std::vector<std::string>{"1 a\n 1b"});
  ctx.complete_all();
  REQUIRE(ctx.acks().snapshot().size() == 1);
  CHECK(ctx.acks().snapshot()[0].offset == 8);  // "2 c" starts at 8: a restart reads it again
  CHECK(check_contiguous(ctx) == 8);
  append_file(dir / "a.log", " 2e\n3 f\n");  // the rest of event 2, then event 3 (held)
  REQUIRE(wait_until([&] { return ctx.texts().size() == 2; }));
  run.stop();
  CHECK(ctx.texts() == std::vector<std::string>{"1 a\n 1b", "2 c\n 2d\n 2e"});
  CHECK(check_contiguous(ctx) == 20);
  CHECK(plugin.counter("logagent_multiline_flushes_total", {{"reason", "flush_after"}}) == 0);
}

TEST_CASE("live: flush_after emits the last held event; later continuations start a new one") {
  TempDir dir;
  write_file(dir / "a.log", "ERROR boom\n\tat a.B.c(B.java:1)\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = multiline_options(dir / "a.log", MultilineBuiltin::kJava);
  options.multiline.flush_after.value = std::chrono::milliseconds(50);
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  CHECK(ctx.texts() == std::vector<std::string>{"ERROR boom\n\tat a.B.c(B.java:1)"});
  CHECK(plugin.counter("logagent_multiline_flushes_total", {{"reason", "flush_after"}}) == 1);
  append_file(dir / "a.log", "\tat a.B.d(B.java:2)\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 2; }));
  run.stop();
  CHECK(ctx.texts()[1] == "\tat a.B.d(B.java:2)");
  CHECK(check_contiguous(ctx) == 51);
}

TEST_CASE("live: an event written in several parts is joined while the file is not idle") {
  TempDir dir;
  write_file(dir / "a.log", "0 z\n1 a\n 1b\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = multiline_options(dir / "a.log", std::nullopt, R"(^\d)");
  options.multiline.flush_after.value = std::chrono::hours(1);
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));  // "1 a" was read and held
  append_file(dir / "a.log", " 1c");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  append_file(dir / "a.log", "\n 1d\n2 b\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 2; }));
  run.stop();
  CHECK(ctx.texts() == std::vector<std::string>{"0 z", "1 a\n 1b\n 1c\n 1d"});
}

TEST_CASE("live: truncation while an event is held restarts at 0 with a fresh state") {
  TempDir dir;
  write_file(dir / "a.log", "0 z\n1 a\n 1b\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = multiline_options(dir / "a.log", std::nullopt, R"(^\d)");
  options.multiline.flush_after.value = std::chrono::hours(1);
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  REQUIRE(::truncate((dir / "a.log").c_str(), 0) == 0);
  REQUIRE(wait_until([&] { return plugin.counter("logagent_input_truncations_total") == 1; }));
  append_file(dir / "a.log", " 5x\n6 w\n7 v\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 3; }));
  run.stop();
  // " 5x" is the first line after the truncation: it starts an event, it does not continue "1 a".
  CHECK(ctx.texts() == std::vector<std::string>{"0 z", " 5x", "6 w"});
}

TEST_CASE("live: the held event of a rotated file is emitted when the old file is drained") {
  TempDir dir;
  write_file(dir / "a.log", "0 z\n1 a\n 1b\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = multiline_options(dir / "*.log", std::nullopt, R"(^\d)");
  options.multiline.flush_after.value = std::chrono::hours(1);
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.texts().size() == 1; }));
  REQUIRE(std::rename((dir / "a.log").c_str(), (dir / "a.log.1").c_str()) == 0);
  write_file(dir / "a.log", "2 c\n3 d\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() == 3; }));
  run.stop();
  // The new file may come first: order is kept per file, not across files.
  std::vector<std::string> texts = ctx.texts();
  std::sort(texts.begin(), texts.end());
  CHECK(texts == std::vector<std::string>{"0 z", "1 a\n 1b", "2 c"});
  CHECK(plugin.counter("logagent_multiline_flushes_total", {{"reason", "eof"}}) == 1);
}

TEST_CASE("a bad multiline pattern set in code is refused by create()") {
  Plugin plugin;
  TailOptions options = multiline_options("/tmp/x.log", std::nullopt, "(");
  auto made = TailInput::create(options, plugin.ctx);
  REQUIRE_FALSE(made.is_ok());
  CHECK(made.message().find("tail: multiline: invalid start pattern: missing )") == 0);
}

}  // namespace logagent::plugins::tail
