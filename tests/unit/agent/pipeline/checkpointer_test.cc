#include "agent/pipeline/checkpointer.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "agent/api/batch.h"
#include "agent/core/clock.h"
#include "agent/metrics/metrics_registry.h"

using namespace logagent;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  std::string dir;
  AgentConfig agent;
  AckTracker acks;
  std::shared_ptr<MetricsRegistry> metrics = std::make_shared<MetricsRegistry>();
  MetricsScope scope{metrics, {{"pipeline", "t"}}};
  Fixture() {
    char tmpl[] = "/tmp/logagent-ckpt-XXXXXX";
    dir = mkdtemp(tmpl);
    agent.data_dir = dir;
    agent.checkpoint_interval.value = std::chrono::hours(1);  // only the saves the test makes
  }
  ~Fixture() { fs::remove_all(dir); }
  std::string file() const { return dir + "/t.checkpoint"; }
  double counter(const std::string& name) const { return scope.counter(name, "").value(); }
  std::vector<CheckpointEntry> on_disk() const {
    auto l = CheckpointStore(file()).load();
    REQUIRE(l.is_ok());
    return l->entries;
  }
};

void ack(AckTracker& acks, const std::shared_ptr<SourceState>& s, uint64_t begin, uint64_t end) {
  Batch b;
  b.state = s;
  b.begin = begin;
  b.end = end;
  acks.emitted(b);
  acks.completed(b, true);
}

}  // namespace

TEST_CASE("before start() nothing is written: a pipeline that never started keeps the old file") {
  Fixture fx;
  REQUIRE(CheckpointStore(fx.file()).save({{FileIdentity{1, 2, 0, 0}, 42, "/old.log"}}).is_ok());
  Checkpointer c("t", fx.agent, fx.acks, fx.scope);
  auto loaded = c.load();
  REQUIRE(loaded.is_ok());
  REQUIRE(loaded->size() == 1);
  CHECK(loaded.value()[0].offset == 42);
  CHECK(c.save());
  REQUIRE(fx.on_disk().size() == 1);
  CHECK(fx.on_disk()[0].offset == 42);
  CHECK(fx.counter("logagent_checkpoint_writes_total") == 0);
}

TEST_CASE("a save writes what is committed, and only when it changed") {
  Fixture fx;
  Checkpointer c("t", fx.agent, fx.acks, fx.scope);
  REQUIRE(c.load().is_ok());
  c.start();
  auto s = fx.acks.open(FileIdentity{1, 2, 0, 0}, "/a.log", 0);
  ack(fx.acks, s, 0, 100);
  CHECK(c.save());
  REQUIRE(fx.on_disk().size() == 1);
  CHECK(fx.on_disk()[0].offset == 100);
  CHECK(c.save());  // unchanged: not written again
  CHECK(fx.counter("logagent_checkpoint_writes_total") == 1);
  ack(fx.acks, s, 100, 250);
  CHECK(c.save());
  CHECK(fx.on_disk()[0].offset == 250);
  CHECK(fx.counter("logagent_checkpoint_writes_total") == 2);
  c.stop();
}

TEST_CASE("a save with nothing acknowledged since the last one is up to date without a write") {
  Fixture fx;
  Checkpointer c("t", fx.agent, fx.acks, fx.scope);
  REQUIRE(c.load().is_ok());
  c.start();
  auto s = fx.acks.open(FileIdentity{1, 2, 0, 0}, "/a.log", 0);
  ack(fx.acks, s, 0, 100);
  CHECK(c.save());
  const uint64_t changes = fx.acks.changes();
  const int64_t t0 = 1'000'000'000'000;
  CHECK(c.save());
  CHECK(fx.acks.changes() == changes);
  CHECK(c.age_ns(mono_now_ns()) < t0);  // up to date: its age is that of this save
  CHECK(fx.counter("logagent_checkpoint_writes_total") == 1);
  // A change made after a save is written by the next one.
  fx.acks.update(*s, FileIdentity{1, 2, 0, 0}, "/b.log");
  CHECK(c.save());
  REQUIRE(fx.on_disk().size() == 1);
  CHECK(fx.on_disk()[0].path == "/b.log");
  CHECK(fx.counter("logagent_checkpoint_writes_total") == 2);
  c.stop();
}

TEST_CASE("a failed save is counted, shown, aged and retried; the next good save clears it") {
  Fixture fx;
  Checkpointer c("t", fx.agent, fx.acks, fx.scope);
  REQUIRE(c.load().is_ok());
  c.start();
  auto s = fx.acks.open(FileIdentity{1, 2, 0, 0}, "/a.log", 0);
  ack(fx.acks, s, 0, 100);
  const int64_t t0 = 1'000'000'000'000;
  fs::create_directory(fx.file() + ".tmp");  // the temporary file cannot be created
  CHECK_FALSE(c.save());
  CHECK_FALSE(c.problem().empty());
  CHECK(c.last_error() == c.problem());
  CHECK(fx.counter("logagent_checkpoint_errors_total") == 1);
  CHECK_FALSE(fs::exists(fx.file()));
  CHECK_FALSE(c.save());  // the same cause again: counted, logged once
  CHECK(fx.counter("logagent_checkpoint_errors_total") == 2);
  CHECK(c.age_ns(mono_now_ns() + t0) >= t0);  // not up to date: the age grows
  fs::remove(fx.file() + ".tmp");
  CHECK(c.save());
  CHECK(c.problem().empty());
  CHECK(c.age_ns(mono_now_ns()) < t0);
  REQUIRE(fx.on_disk().size() == 1);
  CHECK(fx.on_disk()[0].offset == 100);
  c.stop();
}

TEST_CASE("a corrupt checkpoint is counted and read as a first run") {
  Fixture fx;
  std::ofstream(fx.file()) << "logagent-checkpoint 2\n1 2 0 0 100 0 /a.log\nend 1 0\n";
  Checkpointer c("t", fx.agent, fx.acks, fx.scope);
  auto loaded = c.load();
  REQUIRE(loaded.is_ok());
  CHECK(loaded->empty());
  CHECK(fx.counter("logagent_checkpoint_corrupt_total") == 1);
}

TEST_CASE("entries no file claimed within checkpoint_keep_unclaimed are dropped, counted") {
  Fixture fx;
  fx.agent.checkpoint_keep_unclaimed.value = std::chrono::seconds(0);
  Checkpointer c("t", fx.agent, fx.acks, fx.scope);
  fx.acks.seed_unclaimed({{FileIdentity{7, 7, 0, 0}, 9, "/gone.log"}});
  c.start();
  CHECK(c.save());
  CHECK(fx.on_disk().empty());
  CHECK(fx.counter("logagent_checkpoint_entries_expired_total") == 1);
  CHECK(fx.acks.unclaimed() == 0);
  c.stop();
}

TEST_CASE("kept unclaimed entries stay in every save") {
  Fixture fx;
  Checkpointer c("t", fx.agent, fx.acks, fx.scope);
  fx.acks.seed_unclaimed({{FileIdentity{7, 7, 0, 0}, 9, "/later.log"}});
  c.start();
  CHECK(c.save());
  REQUIRE(fx.on_disk().size() == 1);
  CHECK(fx.on_disk()[0].path == "/later.log");
  CHECK(fx.counter("logagent_checkpoint_entries_expired_total") == 0);
}

TEST_CASE("in committed mode only write_committed() writes; text() is what is acknowledged") {
  Fixture fx;
  Checkpointer c("t", fx.agent, fx.acks, fx.scope, CheckpointMode::kCommitted);
  REQUIRE(c.load().is_ok());
  c.start();
  auto s = fx.acks.open(FileIdentity{1, 2, 0, 0}, "/a.log", 0);
  ack(fx.acks, s, 0, 100);
  const std::string acknowledged = c.text();
  CHECK(acknowledged == CheckpointStore::serialize(fx.acks.snapshot()));
  CHECK(c.save());  // acknowledged is not committed: nothing is written
  CHECK_FALSE(fs::exists(fx.file()));
  const std::string committed =
      CheckpointStore::serialize({{FileIdentity{1, 2, 0, 0}, 40, "/a.log"}});
  CHECK(c.write_committed(committed));
  REQUIRE(fx.on_disk().size() == 1);
  CHECK(fx.on_disk()[0].offset == 40);
  CHECK(fx.counter("logagent_checkpoint_writes_total") == 1);
  CHECK(c.write_committed(committed));  // unchanged: not written again
  CHECK(fx.counter("logagent_checkpoint_writes_total") == 1);
}
