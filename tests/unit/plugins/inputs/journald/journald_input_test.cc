// The journald input's checkpoint identity: what lets a restart find its saved cursor; and what
// a restart before the first acknowledgement finds (the journal held in memory, each run a new
// input and context, as a new process would have).
#include "plugins/inputs/journald/journald_input.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/metrics/metrics_registry.h"
#include "fake_journal.h"

namespace logagent::plugins::journald {
namespace {

// One run of the agent: its own metrics, input and context; what it checkpointed.
struct Run {
  std::shared_ptr<MetricsRegistry> registry = std::make_shared<MetricsRegistry>();
  MetricsScope scope{registry, {{"pipeline", "p"}}};
  testing::FakeContext ctx{true};  // --once: reads to the end of the journal and returns
  std::unique_ptr<Input> input;

  Run(const JournaldOptions& o, const std::vector<CheckpointEntry>& saved) {
    PluginContext pc;
    pc.pipeline = "p";
    pc.metrics = scope;
    input = std::move(JournaldInput::create(o, pc).value());
    ctx.saved() = saved;
  }
  // Reads `journal` without acknowledging anything, and returns what the checkpoint holds (what
  // a kill -9 after a checkpoint write, or a stop, leaves for the next run).
  std::vector<CheckpointEntry> read(testing::FakeJournal& journal) {
    static_cast<JournaldInput&>(*input).read(ctx, journal);
    return ctx.acks().snapshot();
  }
  double lost() const { return scope.counter(kInputFilesLost, {{"reason", "vacuumed"}}).value(); }
};

void add(testing::FakeJournal& j, int first, int last) {
  for (int n = first; n <= last; ++n) {
    j.entries.push_back(testing::FakeJournal::entry(n, "entry " + std::to_string(n)));
  }
}

// A journal to which an entry is written just after the input found its tail.
struct WrittenAfterTail : testing::FakeJournal {
  bool seek_tail() override {
    const bool ok = FakeJournal::seek_tail();
    add(*this, static_cast<int>(entries.size()) + 1, static_cast<int>(entries.size()) + 1);
    return ok;
  }
};

JournaldOptions options(ReadFrom read_from) {
  JournaldOptions o;
  o.directory = "/j";
  o.read_from = read_from;
  return o;
}

}  // namespace

TEST_CASE("a journal's checkpoint identity is stable across runs and differs between journals") {
  const FileIdentity a = JournaldInput::identity("journal:/var/log/journal");
  CHECK(a == JournaldInput::identity("journal:/var/log/journal"));
  CHECK_FALSE(a.same_inode(JournaldInput::identity("journal:/other")));
  CHECK_FALSE(a.same_inode(JournaldInput::identity("journal")));
  CHECK(a.dev == 0);  // no mounted file system has device 0: a file's entry is never claimed
}

TEST_CASE("a journald input with both a directory and files is refused at creation") {
  JournaldOptions o;
  o.directory = "/var/log/journal";
  o.files = {"/x.journal"};
  auto made = JournaldInput::create(o, PluginContext{});
  CHECK_FALSE(made.is_ok());
}

TEST_CASE("read_from tail: a restart before the first acknowledgement starts where the first did") {
  WrittenAfterTail j;
  add(j, 1, 5);
  Run first(options(ReadFrom::kTail), {});
  const std::vector<CheckpointEntry> saved = first.read(j);
  CHECK(first.ctx.messages() == std::vector<std::string>{"entry 6"});  // read, never acknowledged
  add(j, 7, 8);  // written while the agent was down
  Run second(options(ReadFrom::kTail), saved);
  second.read(j);
  CHECK(second.ctx.messages() == std::vector<std::string>{"entry 6", "entry 7", "entry 8"});
}

TEST_CASE(
    "read_from tail on an empty journal: a restart before any entry reads all written since") {
  testing::FakeJournal j;
  Run first(options(ReadFrom::kTail), {});
  const std::vector<CheckpointEntry> saved = first.read(j);
  add(j, 1, 2);
  Run second(options(ReadFrom::kTail), saved);
  second.read(j);
  CHECK(second.ctx.messages() == std::vector<std::string>{"entry 1", "entry 2"});
}

TEST_CASE("a vacuumed cursor is counted once, though a restart comes before the first ack") {
  testing::FakeJournal j;
  add(j, 10, 12);  // c1..c9 vacuumed while the agent was down
  std::vector<CheckpointEntry> saved = {
      {JournaldInput::identity("journal:/j"), 0, "journal:/j", "c4"}};
  Run first(options(ReadFrom::kHead), saved);
  saved = first.read(j);
  CHECK(first.lost() == 1);
  CHECK(first.ctx.messages().size() == 3);  // read, never acknowledged
  Run second(options(ReadFrom::kHead), saved);
  saved = second.read(j);
  CHECK(second.lost() == 0);
  CHECK(second.ctx.messages() ==
        std::vector<std::string>{"entry 10", "entry 11", "entry 12"});  // read again, none lost
  // Vacuumed again while down: the entries not read since are a new loss, counted.
  j.entries.erase(j.entries.begin());
  Run third(options(ReadFrom::kHead), saved);
  third.read(j);
  CHECK(third.lost() == 1);
  CHECK(third.ctx.messages() == std::vector<std::string>{"entry 11", "entry 12"});
}

TEST_CASE("read_from tail: the start point is checkpointed before the first entry is emitted") {
  WrittenAfterTail j;
  add(j, 1, 5);
  Run run(options(ReadFrom::kTail), {});
  run.read(j);
  REQUIRE(run.ctx.saves.size() == 1);
  CHECK(run.ctx.saves[0].batches_before == 0);
  REQUIRE(run.ctx.saves[0].entries.size() == 1);
  CHECK(run.ctx.saves[0].entries[0].position == "c5");
}

TEST_CASE("a start from a saved cursor writes no checkpoint of its own") {
  testing::FakeJournal j;
  add(j, 1, 5);
  Run run(options(ReadFrom::kTail),
          {{JournaldInput::identity("journal:/j"), 0, "journal:/j", "c3"}});
  run.read(j);
  CHECK(run.ctx.saves.empty());
  CHECK(run.ctx.messages() == std::vector<std::string>{"entry 4", "entry 5"});
}

}  // namespace logagent::plugins::journald
