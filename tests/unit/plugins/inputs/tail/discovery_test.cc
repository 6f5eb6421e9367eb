// Discovery: driven step by step over a real directory and real inotify (no thread), and a live
// tail input whose emit() is held (backpressure) while its files rotate.
#include "plugins/inputs/tail/discovery.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fake_tail_sys.h"
#include "plugins/inputs/tail/file_reader.h"
#include "plugins/inputs/tail/file_tracker.h"
#include "plugins/inputs/tail/fingerprint.h"
#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

struct Harness {
  explicit Harness(const TailOptions& o, TailSys& sys = real_tail_sys())
      : options(o),
        scanner(options.paths, {}, "/"),
        metrics(plugin.ctx.metrics),
        budget(options.max_open_files),
        discovery(options, scanner, watcher, metrics, budget, "test", sys) {
    for (const std::string& d : scanner.watch_dirs()) watcher.watch(d);
  }

  // What one step found: the path each pin was opened at -> its content.
  std::map<std::string, std::string> step(bool scan = false) {
    discovery.step(0, scan);
    DiscoveryUpdate u;
    discovery.take(&u);
    std::map<std::string, std::string> out;
    for (PinnedFile& p : u.pinned) {
      std::string data(static_cast<size_t>(p.file.st.st_size), '\0');
      REQUIRE(::pread(p.file.fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
      out[p.file.path] = data;
      matched[p.file.path] = p.matched;
    }
    return out;  // u closes the pins
  }
  // Two steps: a file opened under a name outside the globs is pinned once the next batch
  // confirms that the name still held the file the history meant.
  std::map<std::string, std::string> step_and_confirm() {
    std::map<std::string, std::string> out = step();
    out.merge(step());
    return out;
  }

  Plugin plugin;
  TailOptions options;
  PathScanner scanner;
  InotifyWatcher watcher;
  TailMetrics metrics;
  OpenBudget budget;
  Discovery discovery;
  std::map<std::string, bool> matched;
};

double lost(const Harness& h, const char* reason) {
  return h.plugin.counter("logagent_input_files_lost_total", {{"reason", reason}});
}

// prefix + n + suffix, by appends: g++ 12 at -O3 warns (-Wrestrict, falsely) on
// "literal" + std::string&&.
std::string with_number(const char* prefix, int n, const char* suffix) {
  std::string s(prefix);
  s += std::to_string(n);
  s += suffix;
  return s;
}

void rename_file(const std::string& from, const std::string& to) {
  REQUIRE(::rename(from.c_str(), to.c_str()) == 0);
}

}  // namespace

TEST_CASE("generations created and rotated out of the glob before discovery looked are pinned") {
  TempDir dir;
  Harness h(fast_options(dir / "*.log"));
  // The agent is stopped meanwhile (SIGSTOP): three generations, two renamed out of "*.log".
  write_file(dir / "a.log", "g1\n");
  rename_file(dir / "a.log", dir / "a.log.1");
  write_file(dir / "a.log", "g2\n");
  rename_file(dir / "a.log.1", dir / "a.log.2");
  rename_file(dir / "a.log", dir / "a.log.1");
  write_file(dir / "a.log", "g3\n");
  CHECK(h.step() == std::map<std::string, std::string>{{dir / "a.log", "g3\n"}});
  const auto found = h.step_and_confirm();
  CHECK(found ==
        std::map<std::string, std::string>{{dir / "a.log.1", "g2\n"}, {dir / "a.log.2", "g1\n"}});
  CHECK(h.matched[dir / "a.log"]);
  CHECK_FALSE(h.matched[dir / "a.log.1"]);
  CHECK(lost(h, "deleted") == 0);
  // Nothing is pinned twice: a scan finds only known files.
  CHECK(h.step(/*scan=*/true).empty());
}

TEST_CASE("a file opened under a listed name that holds a newer one by then is followed") {
  TempDir dir;
  FakeTailSys sys;
  Harness h(fast_options(dir / "*.log"), sys);
  write_file(dir / "a.log", "g1\n");
  h.step();  // g1 pinned through its arrival
  // The tracker let g1 go (read, idle): a scan opens a.log again -- and logrotate renames it to
  // a.log.1 and creates a new a.log between the listing and the open.
  struct stat st {};
  REQUIRE(::stat((dir / "a.log").c_str(), &st) == 0);
  const int fd = ::open((dir / "a.log").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const FileIdentity g1 = identify(fd, st);
  ::close(fd);
  h.discovery.tracked(g1);
  h.discovery.forgotten(g1);
  h.step();
  bool raced = false;
  sys.set_before_open([&](const char* path) {
    if (raced || std::string(path) != dir / "a.log") return;
    raced = true;
    rename_file(dir / "a.log", dir / "a.log.1");
    write_file(dir / "a.log", "g2\n");
  });
  h.discovery.step(0, /*force_scan=*/true);
  sys.set_before_open(nullptr);
  REQUIRE(raced);
  DiscoveryUpdate u;
  h.discovery.take(&u);
  REQUIRE(u.scanned);
  std::map<std::string, const PinnedFile*> by_path;
  for (const PinnedFile& p : u.pinned) by_path[p.file.path] = &p;
  // g1 lives on outside the globs: made before the scan and not in it, it is drained.
  REQUIRE(by_path.count(dir / "a.log.1") == 1);
  CHECK_FALSE(by_path[dir / "a.log.1"]->matched);
  CHECK(by_path[dir / "a.log.1"]->seq < u.scan_seq);
  // g2 is at a matched name the listing did not see: made after the scan, it is followed (taken
  // for a file that left the globs, it was drained and closed while still written to).
  REQUIRE(by_path.count(dir / "a.log") == 1);
  CHECK(by_path[dir / "a.log"]->matched);
  CHECK(by_path[dir / "a.log"]->seq > u.scan_seq);
}

TEST_CASE("a generation deleted before it could be opened is counted, once") {
  TempDir dir;
  Harness h(fast_options(dir / "*.log"));
  write_file(dir / "a.log", "g1\n");
  rename_file(dir / "a.log", dir / "a.log.1");
  write_file(dir / "a.log", "g2\n");
  REQUIRE(::unlink((dir / "a.log.1").c_str()) == 0);
  const auto found = h.step();
  CHECK(found == std::map<std::string, std::string>{{dir / "a.log", "g2\n"}});
  CHECK(lost(h, "deleted") == 1);
  h.step(true);
  CHECK(lost(h, "deleted") == 1);
}

TEST_CASE("a pinned file deleted afterwards is not counted lost: its descriptor still reads it") {
  TempDir dir;
  Harness h(fast_options(dir / "*.log"));
  write_file(dir / "a.log", "g1\n");
  CHECK(h.step().size() == 1);  // opened: resolved only after the next batch
  REQUIRE(::unlink((dir / "a.log").c_str()) == 0);
  h.step();
  h.step();
  CHECK(lost(h, "deleted") == 0);
}

TEST_CASE("a rename over a generation not yet opened is counted as overwritten") {
  TempDir dir;
  Harness h(fast_options(dir / "*.log"));
  write_file(dir / "a.log", "g1\n");
  rename_file(dir / "a.log", dir / "a.log.1");
  write_file(dir / "a.log", "g2\n");
  rename_file(dir / "a.log", dir / "a.log.1");  // keep 1
  const auto found = h.step_and_confirm();
  CHECK(found == std::map<std::string, std::string>{{dir / "a.log.1", "g2\n"}});
  CHECK(lost(h, "overwritten") == 1);
}

TEST_CASE("files the tracker follows are never pinned again; forgotten ones may be") {
  TempDir dir;
  write_file(dir / "a.log", "x\n");
  Harness h(fast_options(dir / "*.log"));
  struct stat st {};
  REQUIRE(::stat((dir / "a.log").c_str(), &st) == 0);
  const FileIdentity id{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  h.discovery.seed({id});
  CHECK(h.step(true).empty());
  h.discovery.forgotten(id);
  CHECK(h.step(true).size() == 1);
}

TEST_CASE("a file the tracker read and let go is not pinned again when renamed again") {
  TempDir dir;
  Harness h(fast_options(dir / "*.log"));
  write_file(dir / "a.log", "g1\n");
  CHECK(h.step().size() == 1);  // pinned; its arrival is resolved after one more batch
  const int fd = ::open((dir / "a.log").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  const FileIdentity id = identify(fd, st);
  ::close(fd);
  // Before discovery reads the rename, the tracker follows the file, reads it to its end out of
  // the glob and lets it go.
  h.discovery.tracked(id);
  rename_file(dir / "a.log", dir / "a.log.1");
  h.discovery.forgotten(id);
  CHECK(h.step().empty());
  rename_file(dir / "a.log.1", dir / "a.log.2");
  CHECK(h.step().empty());
  CHECK(h.step(/*scan=*/true).empty());
}

TEST_CASE("a file born on the inode number of one let go is pinned") {
  TempDir dir;
  Harness h(fast_options(dir / "*.log"));
  write_file(dir / "a.log", "g1\n");
  CHECK(h.step().size() == 1);
  const int fd = ::open((dir / "a.log").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  FileIdentity id = identify(fd, st);
  ::close(fd);
  // What the tracker let go was another file with this inode number (deleted; its number
  // reused): born earlier, other bytes.
  if (id.birth != 0) id.birth -= 1'000'000'000;
  id.fp_hash ^= 1;
  h.discovery.tracked(id);
  rename_file(dir / "a.log", dir / "a.log.1");
  h.discovery.forgotten(id);
  const auto found = h.step_and_confirm();
  CHECK(found == std::map<std::string, std::string>{{dir / "a.log.1", "g1\n"}});
}

TEST_CASE("max_open_files bounds the pins; the rest are found by the scan for the reader") {
  TempDir dir;
  for (int i = 0; i < 5; ++i) write_file(dir / with_number("f", i, ".log"), "x\n");
  TailOptions o = fast_options(dir / "*.log");
  o.max_open_files = 3;
  Harness h(o);
  h.budget.take();  // the reader holds one
  // A pin holds two descriptors until its arrival is read: the file and the rename history's
  // token. So of 2 units left, one pin.
  CHECK(h.step(true).size() == 1);
  CHECK(h.discovery.tokens_held() == 1);
  CHECK(h.budget.held() == 2);  // the pin's unit came back when the update closed it
}

TEST_CASE("a file renamed out of the glob before discovery's first scan is drained and let go") {
  // The input thread's start-up scan follows a.log; then, before the discovery thread's first
  // scan lists the directory (a loaded machine schedules it late), a.log is renamed out of
  // "*.log" and written to once more. That scan finds nothing -- and neither does any later one:
  // the tracker must still learn from it that a.log left, then drain, close and forget it.
  TempDir dir;
  write_file(dir / "a.log", "a1\n");
  FakeTailSys sys;
  Plugin plugin;
  FakeInputContext ctx(/*once=*/false);
  ctx.auto_complete = true;
  TailOptions options = fast_options(dir / "*.log");
  PathScanner scanner(options.paths, {}, "/");
  InotifyWatcher watcher(/*enabled=*/true);
  TailMetrics metrics(plugin.ctx.metrics);
  ChunkCursor chunk(ctx.pool(), ctx.stop_token());
  ReadEnv env{ctx, chunk, metrics, 64 * 1024, 16 * 1024, false};
  FileTracker tracker(options, scanner, watcher, metrics, sys);
  tracker.start(env);
  Discovery discovery(options, scanner, watcher, metrics, tracker.budget(), "test", sys);
  discovery.seed(tracker.identities());
  tracker.set_discovery(&discovery);
  auto read = [&] {
    bool stopped = false;
    tracker.mark_all();
    while (tracker.read_round(env, &stopped) && !stopped) {
    }
    REQUIRE_FALSE(stopped);
  };
  read();
  REQUIRE(ctx.texts() == std::vector<std::string>{"a1"});
  rename_file(dir / "a.log", dir / "a.old");
  append_file(dir / "a.old", "a2\n");
  // The live loop (tail_input.cc: follow()): discovery scans each scan_interval; the input
  // thread applies what it published, reads, and maintains each scan_interval.
  for (int i = 0; i < 3; ++i) {
    discovery.step(0, /*force_scan=*/true);
    DiscoveryUpdate u;
    discovery.take(&u);
    if (!u.empty()) tracker.apply(env, u);
    read();
    tracker.maintain(env, sys.mono_now_ns());
    sys.advance(options.scan_interval.value);  // the drain grace
  }
  CHECK(ctx.texts() == std::vector<std::string>{"a1", "a2"});
  CHECK(tracker.files() == 0);
  CHECK(tracker.open_files() == 0);
  CHECK(plugin.gauge("logagent_input_files_watched") == 0);
  tracker.set_discovery(nullptr);
  chunk.release();
}

TEST_CASE("live: files rotated out of the glob while emit() is held are all read, in order") {
  TempDir dir;
  write_file(dir / "a.log", joined(numbered("g1-", 1, 50)));
  Plugin plugin;
  FakeInputContext ctx(/*once=*/false);
  ctx.auto_complete = true;
  ctx.hold();  // the sink is stopped: the first emit blocks
  auto input = plugin.make(fast_options(dir / "*.log"));
  LiveRun run(*input, ctx);
  REQUIRE(wait_until([&] { return ctx.waiting() == 1; }, std::chrono::seconds(30)));
  // Three rotations (keep 2) while the input thread is blocked; the oldest is deleted.
  auto pinned = [&](const std::string& path) {
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      char buf[PATH_MAX];
      const ssize_t n = ::readlink(e.path().c_str(), buf, sizeof(buf) - 1);
      if (n > 0 && std::string(buf, static_cast<size_t>(n)) == path) return true;
    }
    return false;
  };
  for (int g = 2; g <= 4; ++g) {
    if (std::filesystem::exists(dir / "a.log.2")) {
      REQUIRE(::unlink((dir / "a.log.2").c_str()) == 0);
    }
    if (std::filesystem::exists(dir / "a.log.1")) rename_file(dir / "a.log.1", dir / "a.log.2");
    rename_file(dir / "a.log", dir / "a.log.1");
    write_file(dir / "a.log", joined(numbered(with_number("g", g, "-"), 1, 50)));
    // Discovery opens the new file although the reader is blocked.
    REQUIRE(wait_until([&] { return pinned(dir / "a.log"); }, std::chrono::seconds(30)));
  }
  ctx.release();
  std::vector<std::string> want;
  for (int g = 1; g <= 4; ++g) {
    for (const std::string& l : numbered(with_number("g", g, "-"), 1, 50)) want.push_back(l);
  }
  REQUIRE(wait_until([&] { return ctx.texts().size() >= want.size(); }, std::chrono::seconds(30)));
  std::vector<std::string> got = ctx.texts();
  // In order per file: each generation's lines are in order among themselves.
  for (int g = 1; g <= 4; ++g) {
    const std::string prefix = with_number("g", g, "-");
    std::vector<std::string> mine;
    for (const std::string& l : got) {
      if (l.starts_with(prefix)) mine.push_back(l);
    }
    CHECK(mine == numbered(prefix, 1, 50));
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  CHECK(got == want);
  CHECK(plugin.counter("logagent_input_files_lost_total", {{"reason", "deleted"}}) == 0);
}

}  // namespace logagent::plugins::tail
