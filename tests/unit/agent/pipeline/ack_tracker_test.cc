#include "agent/pipeline/ack_tracker.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

#include "agent/api/batch.h"
#include "agent/core/clock.h"

using namespace logagent;

namespace {
BatchPtr batch_for(const std::shared_ptr<SourceState>& s, uint64_t begin, uint64_t end,
                   uint64_t generation = 0) {
  auto b = std::make_unique<Batch>();
  b->state = s;
  b->begin = begin;
  b->end = end;
  b->generation = generation;
  return b;
}
}  // namespace

TEST_CASE("the committed offset advances only over contiguous acknowledged batches") {
  AckTracker t;
  auto s = t.open(FileIdentity{1, 2, 0, 0}, "/x.log", 100);
  auto a = batch_for(s, 100, 200), b = batch_for(s, 200, 300), c = batch_for(s, 300, 400);
  t.emitted(*a);
  t.emitted(*b);
  t.emitted(*c);
  CHECK(t.in_flight() == 3);
  t.completed(*c, true);  // out of order
  CHECK(t.committed(*s) == 100);
  t.completed(*a, true);
  CHECK(t.committed(*s) == 200);
  t.completed(*b, true);
  CHECK(t.committed(*s) == 400);
  CHECK(t.in_flight() == 0);
}

TEST_CASE("a failed batch holds the offset back even when later batches succeed") {
  AckTracker t;
  auto s = t.open(FileIdentity{1, 2, 0, 0}, "/x.log", 0);
  auto a = batch_for(s, 0, 10), b = batch_for(s, 10, 20), c = batch_for(s, 20, 30);
  t.emitted(*a);
  t.emitted(*b);
  t.emitted(*c);
  t.completed(*a, true);
  t.completed(*b, false);
  t.completed(*c, true);
  CHECK(t.committed(*s) == 10);
  CHECK(t.failed_batches() == 1);
  CHECK(t.in_flight() == 0);
}

TEST_CASE("after a truncation, acknowledgements of the old generation move nothing") {
  AckTracker t;
  auto s = t.open(FileIdentity{1, 2, 0, 0}, "/x.log", 0);
  auto old = batch_for(s, 0, 500);
  t.emitted(*old);
  const uint64_t gen = t.restart(*s, 0);
  CHECK(gen == 1);
  auto fresh = batch_for(s, 0, 50, gen);
  t.emitted(*fresh);
  t.completed(*old, true);
  CHECK(t.committed(*s) == 0);
  t.completed(*fresh, true);
  CHECK(t.committed(*s) == 50);
}

TEST_CASE("snapshots list open sources with their identity, path and committed offset") {
  AckTracker t;
  auto s = t.open(FileIdentity{3, 4, 10, 99}, "/a.log", 7);
  t.update(*s, FileIdentity{3, 4, 20, 77}, "/a.log.1");
  auto snap = t.snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].offset == 7);
  CHECK(snap[0].path == "/a.log.1");
  CHECK(snap[0].id.fp_len == 20);
  s->observe_size(100);
  CHECK(t.bytes_behind() == 93);
}

TEST_CASE("a forgotten source leaves the checkpoint once its last batch settles") {
  AckTracker t;
  auto s = t.open(FileIdentity{1, 1, 0, 0}, "/gone.log", 0);
  auto b = batch_for(s, 0, 10);
  t.emitted(*b);
  t.forget(*s);
  CHECK(t.snapshot().size() == 1);
  t.completed(*b, true);
  CHECK(t.snapshot().empty());
  CHECK(t.sources() == 0);
}

TEST_CASE("changes() grows with every change a snapshot shows, and only then") {
  AckTracker t;
  uint64_t seen = t.changes();
  const auto grew = [&] {
    const uint64_t now = t.changes();
    const bool g = now > seen;
    seen = now;
    return g;
  };
  t.seed_unclaimed({CheckpointEntry{FileIdentity{9, 9, 0, 0}, 5, "/old.log"}});
  CHECK(grew());
  auto s = t.open(FileIdentity{1, 2, 0, 0}, "/a.log", 0);
  CHECK(grew());
  auto a = batch_for(s, 0, 10), b = batch_for(s, 10, 20);
  t.emitted(*a);
  t.emitted(*b);
  CHECK_FALSE(grew());  // emitted, not committed: the snapshot is the same
  t.completed(*b, true);
  CHECK_FALSE(grew());  // out of order: nothing committed yet
  t.completed(*a, true);
  CHECK(grew());
  t.update(*s, FileIdentity{1, 2, 4, 7}, "/a.log.1");
  CHECK(grew());
  t.restart(*s, 0);
  CHECK(grew());
  CHECK(t.expire_unclaimed(0, 1'000'000'000'000).empty());
  CHECK_FALSE(grew());
  CHECK(t.expire_unclaimed(mono_now_ns() + 2'000'000'000'000, 1).size() == 1);
  CHECK(grew());
  t.forget(*s);
  CHECK(grew());
  CHECK(t.snapshot().empty());
  (void)t.snapshot();
  CHECK_FALSE(grew());
}

// in_flight() is read by the supervisor and the drain while the input emits and the sinks
// complete. Before the fix it loaded emitted_ first: a batch emitted and completed between the
// two loads made it wrap to ~1.8e19 (and a drain "waited" on 18 quintillion batches).
TEST_CASE("in_flight never wraps while batches are emitted and completed concurrently") {
  AckTracker t;
  auto s = t.open(FileIdentity{1, 1, 0, 0}, "/a.log", 0);
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    uint64_t offset = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      auto b = batch_for(s, offset, offset + 1);
      t.emitted(*b);
      t.completed(*b, true);
      ++offset;
    }
  });
  uint64_t worst = 0;
  for (int i = 0; i < 2'000'000; ++i) worst = std::max(worst, t.in_flight());
  stop = true;
  worker.join();
  // The two loads are not one snapshot, so it may overstate by the batches emitted between them,
  // never wrap.
  CHECK(worst < (uint64_t{1} << 32));
  CHECK(t.in_flight() == 0);
}

// forget() (input thread) and completed() (sink threads) both touch the source's `forgotten`
// flag; completed() read it without the source's lock (a data race TSan reports).
TEST_CASE("a source forgotten while its batches complete on another thread is dropped once") {
  for (int round = 0; round < 50; ++round) {
    AckTracker t;
    auto s = t.open(FileIdentity{1, 1, 0, 0}, "/a.log", 0);
    std::vector<BatchPtr> batches;
    for (uint64_t i = 0; i < 64; ++i) {
      batches.push_back(batch_for(s, i * 10, i * 10 + 10));
      t.emitted(*batches.back());
    }
    std::thread sink([&] {
      for (const auto& b : batches) t.completed(*b, true);
    });
    t.forget(*s);
    sink.join();
    CHECK(t.sources() == 0);
    CHECK(t.snapshot().empty());
    CHECK(t.in_flight() == 0);
  }
}

TEST_CASE(
    "a source handed to a tracker that did not open it stops the process, never moves "
    "another pipeline's checkpoint") {
  AckTracker mine, other;
  auto s = other.open(FileIdentity{1, 2, 0, 0}, "/x.log", 0);
  CHECK(s->tracker() == &other);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child's bug report is expected: keep the output clean, and let SIGABRT end it rather
    // than the test framework's crash handler (which would report a failure from the child).
    std::signal(SIGABRT, SIG_DFL);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    (void)mine.restart(*s, 10);
    _exit(0);  // not reached when the check holds
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(other.committed(*s) == 0);
}

TEST_CASE("a source's position is that of the last batch of its acknowledged prefix") {
  AckTracker t;
  auto s = t.open(FileIdentity{0, 9, 0, 0}, "journal:x", 0, "cursor-0");
  auto a = batch_for(s, 0, 10), b = batch_for(s, 10, 20), c = batch_for(s, 20, 30);
  a->position = "cursor-a";
  b->position = "cursor-b";
  c->position = "cursor-c";
  t.emitted(*a);
  t.emitted(*b);
  t.emitted(*c);
  CHECK(t.snapshot().at(0).position == "cursor-0");
  t.completed(*b, true);  // out of order: nothing moves yet
  CHECK(t.snapshot().at(0).position == "cursor-0");
  t.completed(*a, true);
  CHECK(t.snapshot().at(0).position == "cursor-b");
  t.completed(*c, false);  // failed: the position stays at the last one acknowledged
  CHECK(t.snapshot().at(0).position == "cursor-b");
}

TEST_CASE("a file source opened without a position checkpoints none") {
  AckTracker t;
  auto s = t.open(FileIdentity{1, 2, 0, 0}, "/x.log", 0);
  auto a = batch_for(s, 0, 10);
  t.emitted(*a);
  t.completed(*a, true);
  CHECK(t.snapshot().at(0).offset == 10);
  CHECK(t.snapshot().at(0).position.empty());
}

TEST_CASE("a batch whose tail a stage carried on commits only up to the carried bytes") {
  AckTracker t;
  auto s = t.open(FileIdentity{1, 3, 0, 0}, "/c.log", 0);
  auto a = batch_for(s, 0, 100), b = batch_for(s, 100, 200), c = batch_for(s, 200, 300);
  t.emitted(*a);
  t.emitted(*b);
  t.emitted(*c);
  a->carried_from = 60;  // a line starting at 60 went on to b, and on to c
  b->carried_from = 60;
  t.completed(*a, true);
  CHECK(t.committed(*s) == 60);
  t.completed(*b, true);
  CHECK(t.committed(*s) == 60);
  t.completed(*c, true);  // c delivered the line
  CHECK(t.committed(*s) == 300);
}

TEST_CASE("a forgotten source with carried bytes stays until its source_end batch is delivered") {
  AckTracker t;
  auto s = t.open(FileIdentity{1, 4, 0, 0}, "/pod.log", 0);
  auto a = batch_for(s, 0, 50);
  t.emitted(*a);
  a->carried_from = 20;
  t.completed(*a, true);
  BatchPtr end = t.source_end_batch(*s);
  CHECK(end->source_end);
  CHECK(end->state == s);
  CHECK(end->begin == 50);
  CHECK(end->end == 50);
  CHECK(end->source->path == "/pod.log");
  t.emitted(*end);
  t.forget(*s);
  REQUIRE(t.snapshot().size() == 1);
  CHECK(t.snapshot()[0].offset == 20);
  t.completed(*end, true);
  CHECK(t.snapshot().empty());
  CHECK(t.sources() == 0);
}
