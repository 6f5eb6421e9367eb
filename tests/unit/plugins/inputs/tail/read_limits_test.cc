// ReadLimits: the longest line and event a pool lets the tail input keep whole, and warnings
// that state the limit that really applies.
#include "plugins/inputs/tail/read_limits.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

TailOptions with_multiline(const std::string& path, uint64_t max_line) {
  TailOptions o = fast_options(path);
  o.max_line_bytes.bytes = max_line;
  o.multiline.continue_pattern = R"(^\s)";
  o.multiline.max_lines = 100000;
  REQUIRE(o.multiline.compile().is_ok());
  return o;
}

}  // namespace

TEST_CASE("read limits: what fits the pool is kept, with no warning") {
  TailOptions o = fast_options("/x/*.log");
  const ReadLimits l = read_limits(o, PoolShape::of_budget(64 << 20, 256 << 10));
  CHECK(l.max_line == 1024 * 1024);
  CHECK(l.max_buffer == 0);
  CHECK(l.warnings.empty());
  const ReadLimits ml = read_limits(with_multiline("/x/*.log", 1024 * 1024),
                                    PoolShape::of_budget(64 << 20, 256 << 10));
  CHECK(ml.max_buffer == 2 * 1024 * 1024 + 1);
  CHECK(ml.warnings.empty());
}

TEST_CASE("read limits: max_line_bytes beyond the pool is lowered, and the warning says to what") {
  TailOptions o = fast_options("/x/*.log");
  o.max_line_bytes.bytes = 8 << 20;
  const ReadLimits l = read_limits(o, PoolShape::of_budget(1 << 20, 256 << 10));
  CHECK(l.max_line == 3 * 256 * 1024);
  REQUIRE(l.warnings.size() == 1);
  CHECK(l.warnings[0].option == "max_line_bytes");
  CHECK(l.warnings[0].message ==
        "max_line_bytes 8MiB does not fit the buffer pool (4 chunks of 256KiB): lines are cut at "
        "768KiB (786432 bytes)");
}

TEST_CASE("read limits: with one 4KiB chunk, events are cut at the buffer, not at 0 bytes") {
  const ReadLimits l =
      read_limits(with_multiline("/x/*.log", 1024 * 1024), PoolShape::of_budget(4096, 4096));
  CHECK(l.max_line == 4095);
  CHECK(l.max_buffer == 4096);
  REQUIRE(l.warnings.size() == 2);
  CHECK(l.warnings[1].option == "multiline.max_bytes");
  CHECK(
      l.warnings[1].message ==
      "multiline max_bytes 1MiB and a line of up to 4095 bytes do not fit the buffer pool (1 chunk "
      "of 4KiB): an event is cut where it fills the largest buffer, 4KiB (4096 bytes)");
}

TEST_CASE("read limits: the event limit a warning states is where the input really cuts") {
  TempDir dir;
  std::string data = "head\n";
  for (int i = 0; i < 1500; ++i) data += " continuation " + std::string(85, 'c') + "\n";
  data += "next\n";  // ~150 KB in one event; the pool holds 64 KiB
  write_file(dir / "a.log", data);
  FakeInputContext ctx(/*once=*/true, 64 * 1024, 4096);
  ctx.auto_complete = true;
  const TailOptions options = with_multiline(dir / "a.log", 1024);
  const ReadLimits l = read_limits(options, PoolShape::of(ctx.pool()));
  REQUIRE(l.warnings.size() == 1);
  CHECK(l.warnings[0].message.find(std::to_string(l.max_buffer) + " bytes") != std::string::npos);
  Plugin plugin;
  auto input = plugin.make(options);
  input->run(ctx);
  size_t longest = 0;
  for (const Line& e : ctx.lines()) longest = std::max(longest, e.text.size() + 1);
  CHECK(longest <= l.max_buffer);
  CHECK(longest > l.max_buffer - 100);  // one line of this file: the cut is at the buffer
}

}  // namespace logagent::plugins::tail
