// Where reading starts: checkpoints, read_from, rotation while stopped, inode reuse.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "plugins/inputs/tail/fingerprint.h"
#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

FileIdentity identity_of(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  const FileIdentity id = identify(fd, st);
  ::close(fd);
  return id;
}

}  // namespace

TEST_CASE("reading resumes at the saved checkpoint offset") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntwo\nthree\n");
  FakeInputContext ctx(/*once=*/true);
  ctx.saved().push_back({identity_of(dir / "a.log"), 4, dir / "a.log"});
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "a.log"));
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{"two", "three"});
  for (const BatchRecord& b : ctx.records()) CHECK(b.begin == 4);
}

TEST_CASE("a checkpoint past the end means the file was truncated while stopped") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntwo\n");
  FakeInputContext ctx(/*once=*/true);
  ctx.saved().push_back({identity_of(dir / "a.log"), 100, dir / "a.log"});
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "a.log"));
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{"one", "two"});
  CHECK(plugin.counter("logagent_input_truncations_total") == 1);
}

TEST_CASE("a file rotated while stopped is found by identity and read from its offset") {
  TempDir dir;
  write_file(dir / "app.log", "old1\nold2\nold3\n");
  FakeInputContext ctx(/*once=*/true);
  ctx.saved().push_back({identity_of(dir / "app.log"), 5, dir / "app.log"});
  REQUIRE(std::rename((dir / "app.log").c_str(), (dir / "app.log.1").c_str()) == 0);
  write_file(dir / "app.log", "new1\n");
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  input->run(ctx);
  CHECK(ctx.texts_of(dir / "app.log.1") == std::vector<std::string>{"old2", "old3"});
  CHECK(ctx.texts_of(dir / "app.log") == std::vector<std::string>{"new1"});
  ctx.complete_all();
  // The drained file leaves the checkpoint; the followed one stays.
  const std::vector<CheckpointEntry> snap = ctx.acks().snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].path == dir / "app.log");
  CHECK(snap[0].offset == 5);
}

TEST_CASE("an inode reused by different content is read as a new file") {
  TempDir dir;
  write_file(dir / "a.log", "original content line\n");
  const FileIdentity old = identity_of(dir / "a.log");
  // Same inode (truncated in place), other bytes, longer than the saved offset.
  write_file(dir / "a.log", "replaced 1\nreplaced 2\nreplaced 3\n");
  REQUIRE(identity_of(dir / "a.log").ino == old.ino);
  FakeInputContext ctx(/*once=*/true);
  ctx.saved().push_back({old, 11, dir / "a.log"});
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "a.log"));
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{"replaced 1", "replaced 2", "replaced 3"});
}

TEST_CASE("a checkpoint entry whose file is gone everywhere is dropped") {
  TempDir dir;
  write_file(dir / "a.log", "a\n");
  FakeInputContext ctx(/*once=*/true);
  FileIdentity ghost = identity_of(dir / "a.log");
  ghost.ino += 12345;
  ctx.saved().push_back({ghost, 2, dir / "gone.log"});
  Plugin plugin;
  auto input = plugin.make(fast_options(dir / "*.log"));
  input->run(ctx);
  CHECK(ctx.texts() == std::vector<std::string>{"a"});
  ctx.complete_all();
  CHECK(ctx.acks().snapshot().size() == 1);
}

TEST_CASE("read_from tail starts existing files at their end") {
  TempDir dir;
  write_file(dir / "a.log", "before1\nbefore2\n");
  FakeInputContext ctx(/*once=*/false);
  Plugin plugin;
  TailOptions options = fast_options(dir / "*.log");
  options.read_from = ReadFrom::kTail;
  auto input = plugin.make(options);
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.acks().sources() == 1; }));
  append_file(dir / "a.log", "after\n");
  REQUIRE(wait_until([&] { return ctx.texts().size() >= 1; }));
  SUBCASE("files created while running are read from 0 even with read_from tail") {
    write_file(dir / "b.log", "b1\nb2\n");
    REQUIRE(wait_until([&] { return ctx.texts_of(dir / "b.log").size() == 2; }));
  }
  run.stop();
  CHECK(ctx.texts_of(dir / "a.log") == std::vector<std::string>{"after"});
}

}  // namespace logagent::plugins::tail
