// Reading and framing through the whole input, mostly in --once mode.
#include <doctest/doctest.h>

#include <random>

#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

// Every batch of a source covers [begin, end) right after the previous one, starting at `from`.
uint64_t check_contiguous(FakeInputContext& ctx, uint64_t from = 0) {
  uint64_t next = from;
  for (const BatchRecord& b : ctx.records()) {
    CHECK(b.begin == next);
    CHECK(b.end > b.begin);
    next = b.end;
  }
  return next;
}

}  // namespace

TEST_CASE("lines are framed exactly across chunk boundaries") {
  TempDir dir;
  std::mt19937 rng(7);
  std::vector<std::string> expected;
  std::string data;
  for (int i = 0; i < 5000; ++i) {
    std::string line =
        std::to_string(i) + ":" + std::string(rng() % 700, static_cast<char>('a' + i % 26));
    data += line + "\n";
    expected.push_back(std::move(line));
  }
  write_file(dir / "a.log", data);
  FakeInputContext ctx(/*once=*/true, 64 * 1024, 4096);
  ctx.auto_complete = true;  // the file is larger than the pool
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  input->run(ctx);
  const std::vector<Line> lines = ctx.lines();
  REQUIRE(lines.size() == expected.size());
  uint64_t offset = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK(lines[i].text == expected[i]);
    CHECK(lines[i].offset == offset);
    CHECK(lines[i].flags == 0);
    offset += expected[i].size() + 1;
  }
  CHECK(check_contiguous(ctx) == data.size());
  ctx.complete_all();
  CHECK(ctx.pool().in_use() == 0);
}

TEST_CASE("a 3 MiB line with max_line_bytes 1MiB is cut, flagged, and the next line is intact") {
  TempDir dir;
  const std::string data = "first\n" + std::string(3 * 1024 * 1024, 'x') + "\nnext\n";
  write_file(dir / "a.log", data);
  FakeInputContext ctx(/*once=*/true, 8 * 1024 * 1024);
  Plugin plugin;
  TailOptions options = fast_options(dir / "a.log");
  options.max_line_bytes.bytes = 1024 * 1024;
  auto input = plugin.make(options);
  input->run(ctx);
  const std::vector<Line> lines = ctx.lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].text == "first");
  CHECK(lines[1].text == std::string(1024 * 1024, 'x'));
  CHECK(lines[1].flags == kEventTruncated);
  CHECK(lines[1].offset == 6);
  CHECK(lines[2].text == "next");
  CHECK(lines[2].flags == 0);
  CHECK(lines[2].offset == data.size() - 5);
  CHECK(check_contiguous(ctx) == data.size());
  CHECK(plugin.counter("logagent_input_lines_truncated_total") == 1);
  ctx.complete_all();
  CHECK(ctx.pool().in_use() == 0);
}

TEST_CASE("a line longer than max_line_bytes but shorter than a chunk is cut and flagged") {
  TempDir dir;
  const std::string data = std::string(5000, 'y') + "\nok\n";
  write_file(dir / "a.log", data);
  FakeInputContext ctx(/*once=*/true);
  Plugin plugin;
  TailOptions options = fast_options(dir / "a.log");
  options.max_line_bytes.bytes = 1024;
  auto input = plugin.make(options);
  input->run(ctx);
  const std::vector<Line> lines = ctx.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text.size() == 1024);
  CHECK(lines[0].flags == kEventTruncated);
  CHECK(lines[1].text == "ok");
  CHECK(check_contiguous(ctx) == data.size());
}

TEST_CASE("lines longer than a chunk but within max_line_bytes are read whole") {
  TempDir dir;
  const std::string big(100 * 1024, 'z');
  write_file(dir / "a.log", "a\n" + big + "\nb\n");
  FakeInputContext ctx(/*once=*/true, 1024 * 1024, 16 * 1024);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "a.log"));
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{"a", big, "b"});
  ctx.complete_all();
  CHECK(ctx.pool().in_use() == 0);
}

TEST_CASE("NUL bytes and invalid UTF-8 pass through byte-exact") {
  TempDir dir;
  const std::string odd("\0\0nul\0\xff\xfe\xc3\x28\xa0\xa1", 13);
  write_file(dir / "a.log", odd + "\n" + "plain\n");
  FakeInputContext ctx(/*once=*/true);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "a.log"));
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{odd, "plain"});
}

TEST_CASE("in --once mode a final line without newline is held: one line never becomes two") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntwo");
  FakeInputContext ctx(/*once=*/true);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "a.log"));
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{"one"});
  CHECK(check_contiguous(ctx) == 4);  // the checkpoint stops before "two"
}

TEST_CASE("in --once mode with once_partial_line: emit a final line without newline is flagged") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntwo");
  FakeInputContext ctx(/*once=*/true);
  Plugin plugin;
  TailOptions options = fast_options(dir / "a.log");
  options.once_partial_line = PartialLine::kEmit;
  auto input = plugin.make(options);
  input->run(ctx);
  const std::vector<Line> lines = ctx.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].text == "two");
  CHECK(lines[1].flags == kEventNoNewline);
  CHECK(check_contiguous(ctx) == 7);
}

TEST_CASE("excluded files are not read") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  write_file(dir / "b.log", "b\n");
  write_file(dir / "c.gz", "c\n");
  FakeInputContext ctx(/*once=*/true);
  Plugin plugin;
  TailOptions options = fast_options(dir / "*");
  options.exclude = {"*.gz", dir / "b.log"};
  auto input = plugin.make(options);
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{"a"});
}

TEST_CASE("several files are all read and each keeps its order") {
  TempDir dir;
  for (int f = 0; f < 5; ++f) {
    write_file(dir / ("f" + std::to_string(f) + ".log"),
               joined(numbered("f" + std::to_string(f) + "-", 1, 2000)));
  }
  FakeInputContext ctx(/*once=*/true, 1024 * 1024, 64 * 1024);
  ctx.auto_complete = true;
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  input->run(ctx);
  for (int f = 0; f < 5; ++f) {
    const std::string name = "f" + std::to_string(f);
    CHECK(ctx.texts_of(dir / (name + ".log")) == numbered(name + "-", 1, 2000));
  }
  ctx.complete_all();
  CHECK(ctx.pool().in_use() == 0);
}

TEST_CASE("a symlinked directory in the glob is followed") {
  TempDir dir;
  std::filesystem::create_directories(dir / "pods/p1");
  std::filesystem::create_directory(dir / "containers");
  write_file(dir / "pods/p1/x.log", "x1\nx2\n");
  std::filesystem::create_symlink(dir / "pods/p1/x.log", dir / "containers/x.log");
  FakeInputContext ctx(/*once=*/true);
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "containers/*.log"));
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{"x1", "x2"});
}

TEST_CASE("max_line_bytes larger than the pool allows is capped") {
  BufferPool pool(1024 * 1024, 256 * 1024);
  CHECK(TailInput::fit_max_line(512 * 1024, pool) == 512 * 1024);
  CHECK(TailInput::fit_max_line(8 * 1024 * 1024, pool) == 3 * 256 * 1024);
}

}  // namespace logagent::plugins::tail

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

TEST_CASE("a line of exactly max_line_bytes is whole and one byte more is cut") {
  TempDir dir;
  const size_t kMiB = 1024 * 1024;
  const std::string exact(kMiB, 'e');
  const std::string over(kMiB + 1, 'o');
  write_file(dir / "a.log", exact + "\n" + over + "\nend\n");
  FakeInputContext ctx(/*once=*/true, 8 * kMiB);
  Plugin plugin;
  TailOptions options = fast_options(dir / "a.log");
  options.max_line_bytes.bytes = kMiB;
  auto input = plugin.make(options);
  input->run(ctx);
  const std::vector<Line> lines = ctx.lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].text == exact);
  CHECK(lines[0].flags == 0);
  CHECK(lines[1].text == over.substr(0, kMiB));
  CHECK(lines[1].flags == kEventTruncated);
  CHECK(lines[2].text == "end");
  CHECK(lines[2].offset == 2 * kMiB + 3);
}

}  // namespace logagent::plugins::tail
