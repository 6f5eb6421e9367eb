// FileTracker limits, driven step by step (no thread): the deleted-file caps.
#include "plugins/inputs/tail/file_tracker.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include "plugins/inputs/tail/tail_test_support.h"

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
    bool stopped = false;
    tracker.mark_all();
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

}  // namespace logagent::plugins::tail
