// A FileTracker (or a single FileReader) with its collaborators over a FakeTailSys, stepped by
// the test on its own thread: no discovery thread, no sleeps; time moves by sys.advance().
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>

#include "fake_tail_sys.h"
#include "plugins/inputs/tail/file_reader.h"
#include "plugins/inputs/tail/file_tracker.h"
#include "plugins/inputs/tail/fingerprint.h"
#include "plugins/inputs/tail/multiline.h"
#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail::testing {

// Multiline joining with a `continue` pattern (a line starting with a blank continues an event).
inline MultilineEnv continue_blank(std::chrono::milliseconds flush_after) {
  auto rules = MultilineRules::compile("", "", R"(^\s)");
  REQUIRE(rules.is_ok());
  return MultilineEnv{MultilineJoiner(std::move(rules).value(), MultilineLimits{}),
                      static_cast<int64_t>(flush_after.count()) * 1000000,
                      {}};
}

struct SysHarness {
  explicit SysHarness(const TailOptions& o = TailOptions{})
      : options(o),
        scanner(options.paths, {}, "/"),
        watcher(false),
        metrics(plugin.ctx.metrics),
        chunk(ctx.pool(), ctx.stop_token()),
        env{ctx, chunk, metrics, 1024 * 1024, 16 * 1024, false},
        tracker(options, scanner, watcher, metrics, sys) {}
  ~SysHarness() { chunk.release(); }

  // Joins lines as `multiline` says from now on.
  void join(MultilineEnv ml) {
    multiline.emplace(std::move(ml));
    env.multiline = &*multiline;
  }
  void read_all() {
    tracker.mark_all();
    read_marked();
  }
  void read_marked() {
    bool stopped = false;
    while (tracker.read_round(env, &stopped) && !stopped) {
    }
  }
  void maintain() { tracker.maintain(env, sys.mono_now_ns()); }
  // A reader of `path` from `offset`, outside the tracker, over the fake.
  std::unique_ptr<FileReader> reader(const std::string& path, uint64_t offset = 0) {
    const int fd = sys.open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    struct stat st {};
    REQUIRE(sys.fstat(fd, &st) == 0);
    const FileIdentity id = identify(fd, st, sys);
    return std::make_unique<FileReader>(fd, path, id, offset, ctx.sources().open(id, path, offset),
                                        nullptr, sys);
  }
  double counter(const std::string& name, const Labels& extra = {}) const {
    return plugin.counter(name, extra);
  }

  FakeTailSys sys;
  Plugin plugin;
  FakeInputContext ctx{/*once=*/false};
  TailOptions options;
  PathScanner scanner;
  InotifyWatcher watcher;
  TailMetrics metrics;
  ChunkCursor chunk;
  ReadEnv env;
  std::optional<MultilineEnv> multiline;
  FileTracker tracker;
};

}  // namespace logagent::plugins::tail::testing
