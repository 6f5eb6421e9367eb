// FileReader: one file's reads, driven through the syscall seam -- failed reads and stats, the
// clock behind its idle and deletion times, truncation, and the multiline flush of held lines.
#include "plugins/inputs/tail/file_reader.h"

#include <doctest/doctest.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "tracker_harness.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT
using std::chrono::seconds;

TEST_CASE("a failed read ends the turn as an error, is counted, and the next turn reads it all") {
  TempDir dir;
  write_file(dir / "a.log", "a1\na2\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  REQUIRE(r->sync(h.env));
  h.sys.fail(SysCall::kPread, EIO, "a.log");
  CHECK(r->turn(h.env) == TurnEnd::kError);
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
  CHECK(h.ctx.texts().empty());
  CHECK(r->offset() == 0);
  CHECK(r->turn(h.env) == TurnEnd::kEof);
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1", "a2"});
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
}

TEST_CASE("an interrupted read is tried again at once and is no error") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  REQUIRE(r->sync(h.env));
  h.sys.fail(SysCall::kPread, EINTR, "a.log", 2);
  CHECK(r->turn(h.env) == TurnEnd::kEof);
  CHECK(h.sys.failed(SysCall::kPread) == 2);
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1"});
  CHECK(h.counter("logagent_input_read_errors_total") == 0);
}

TEST_CASE("a failed fstat makes sync() report an error and no data") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  h.sys.fail(SysCall::kFstat, EIO, "a.log");
  bool error = false;
  CHECK_FALSE(r->sync(h.env, &error));
  CHECK(error);
  CHECK(r->sync(h.env, &error));  // the next one works
  CHECK_FALSE(error);
}

TEST_CASE("a failed read of the first bytes is an error, not a rewritten file read again") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  append_file(dir / "a.log", "a2\n");
  h.sys.fail(SysCall::kPread, EIO, "a.log");  // the fingerprint's read
  bool error = false;
  CHECK_FALSE(r->sync(h.env, &error));
  CHECK(error);
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
  CHECK(h.counter("logagent_input_truncations_total") == 0);
  REQUIRE(r->sync(h.env));
  CHECK(r->turn(h.env) == TurnEnd::kEof);
  CHECK(h.ctx.texts() == std::vector<std::string>{"a1", "a2"});
}

TEST_CASE("a deleted file is seen deleted at the time of the sync that found no link left") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  REQUIRE(::unlink((dir / "a.log").c_str()) == 0);
  h.sys.advance(seconds(7));
  r->sync(h.env);
  CHECK(r->deleted());
  CHECK(r->deleted_since() == FakeTailSys::kStartNs + 7'000'000'000);
  h.sys.advance(seconds(3));
  r->sync(h.env);
  CHECK(r->deleted_since() == FakeTailSys::kStartNs + 7'000'000'000);  // the first time counts
}

TEST_CASE("the times of the last read and of the last new bytes come from the seam's clock") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  CHECK(r->last_active() == FakeTailSys::kStartNs);
  h.sys.advance(seconds(2));
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  CHECK(r->last_active() == FakeTailSys::kStartNs + 2'000'000'000);
  CHECK(r->last_data() == r->last_active());
  h.sys.advance(seconds(5));
  CHECK_FALSE(r->sync(h.env));  // nothing new: neither time moves
  CHECK(r->last_data() == FakeTailSys::kStartNs + 2'000'000'000);
}

TEST_CASE("a file truncated under the reader is read again from its start, and counted") {
  TempDir dir;
  write_file(dir / "a.log", "first line\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  write_file(dir / "a.log", "b\n");
  REQUIRE(r->sync(h.env));
  CHECK(r->turn(h.env) == TurnEnd::kEof);
  CHECK(h.ctx.texts() == std::vector<std::string>{"first line", "b"});
  CHECK(h.counter("logagent_input_truncations_total") == 1);
}

TEST_CASE("a file truncated and written again to the size it had is read again from its start") {
  TempDir dir;
  write_file(dir / "a.log", "first\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  // Truncated, then written to the same 6 bytes before the reader looked again: its size tells
  // nothing, its mtime and its first bytes do.
  write_file(dir / "a.log", "other\n");
  const struct timespec times[2] = {{0, UTIME_OMIT}, {1'000'000'000, 0}};  // a later mtime
  REQUIRE(::utimensat(AT_FDCWD, (dir / "a.log").c_str(), times, 0) == 0);
  REQUIRE(r->sync(h.env));
  CHECK(r->turn(h.env) == TurnEnd::kEof);
  CHECK(h.ctx.texts() == std::vector<std::string>{"first", "other"});
  // Touched again with the same bytes: nothing is read twice.
  const struct timespec later[2] = {{0, UTIME_OMIT}, {2'000'000'000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, (dir / "a.log").c_str(), later, 0) == 0);
  CHECK_FALSE(r->sync(h.env));
  CHECK(h.ctx.texts().size() == 2);
}

TEST_CASE(
    "held lines whose read fails when flushed stay held, counted, and a later flush sends them") {
  TempDir dir;
  write_file(dir / "a.log", "event\n more\n");
  SysHarness h;
  h.join(continue_blank(std::chrono::milliseconds(1000)));
  auto r = h.reader(dir / "a.log");
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  REQUIRE(r->holding());
  h.sys.fail(SysCall::kPread, EIO, "a.log");
  CHECK(r->flush_held(h.env) == TurnEnd::kError);
  CHECK(h.ctx.texts().empty());
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
  CHECK(r->offset() == 0);  // nothing passed the held event
  CHECK(r->holding());      // and it is still held: the next flush sends it
  CHECK(r->flush_held(h.env) == TurnEnd::kEof);
  CHECK(h.ctx.texts() == std::vector<std::string>{"event\n more"});
}

TEST_CASE("a truncated file whose new first bytes cannot be read is not read until they are") {
  TempDir dir;
  write_file(dir / "a.log", "first line\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  write_file(dir / "a.log", "b\n");
  h.sys.fail(SysCall::kPread, EIO, "a.log");  // the restart's fingerprint
  bool error = false;
  CHECK_FALSE(r->sync(h.env, &error));
  CHECK(error);
  CHECK(h.counter("logagent_input_truncations_total") == 1);
  CHECK(h.counter("logagent_input_read_errors_total") == 1);
  CHECK(r->identity().fp_len == 0);
  REQUIRE(r->sync(h.env, &error));  // the fingerprint first, then the bytes
  CHECK(r->identity().fp_len == 2);
  CHECK(r->turn(h.env) == TurnEnd::kEof);
  CHECK(h.ctx.texts() == std::vector<std::string>{"first line", "b"});
}

namespace {

int g_described = 0;
std::vector<SourceField> describe(const std::string& path) {
  ++g_described;
  return {{"origin", path, FieldType::kString}};
}

}  // namespace

TEST_CASE("source fields are made once per file, at its first batch, and kept across a rename") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h;
  h.env.source_fields = &describe;
  g_described = 0;
  auto r = h.reader(dir / "a.log");
  CHECK(g_described == 0);  // nothing emitted yet
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  append_file(dir / "a.log", "a2\n");
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  r->rename(h.ctx.sources(), dir / "a.log.1");
  append_file(dir / "a.log", "a3\n");
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  CHECK(g_described == 1);
  const auto sources = h.ctx.source_infos();
  REQUIRE(sources.size() == 3);
  CHECK(sources[0] == sources[1]);  // one SourceInfo shared by the file's batches
  CHECK(sources[2]->path == dir / "a.log.1");
  REQUIRE(sources[2]->fields.size() == 1);
  CHECK(sources[2]->fields[0].value == dir / "a.log");  // the file's, not its new name's
}

TEST_CASE("without a source_fields function the batches have a path and no fields") {
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  SysHarness h;
  auto r = h.reader(dir / "a.log");
  REQUIRE(r->sync(h.env));
  REQUIRE(r->turn(h.env) == TurnEnd::kEof);
  REQUIRE(h.ctx.source_infos().size() == 1);
  CHECK(h.ctx.source_infos()[0]->path == dir / "a.log");
  CHECK(h.ctx.source_infos()[0]->fields.empty());
}

}  // namespace logagent::plugins::tail
