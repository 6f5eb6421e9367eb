// The journald input's loop over a journal held in memory: order, batches, the cursor each batch
// carries, what the pipeline checkpoints, and the pool's chunks coming back.
#include "plugins/inputs/journald/journal_reader.h"

#include <doctest/doctest.h>

#include <thread>

#include "agent/core/clock.h"
#include "fake_journal.h"

namespace logagent::plugins::journald {
namespace {

struct Harness {
  testing::FakeJournal journal;
  testing::FakeContext ctx;
  std::shared_ptr<SourceState> state;
  explicit Harness(bool once, size_t budget = 1024 * 1024, size_t chunk = 64 * 1024)
      : ctx(once, budget, chunk) {
    state = ctx.sources().open(FileIdentity{0, 7, 0, 0, 0}, "journal:test", 0, "");
  }
  JournalReader reader(size_t max_entries = 2048) {
    ReaderSettings s;
    s.max_batch_entries = max_entries;
    return JournalReader(ctx, journal, state,
                         std::make_shared<const SourceInfo>(SourceInfo{"journal:test"}), s);
  }
  void add(int first, int last) {
    for (int n = first; n <= last; ++n) {
      journal.entries.push_back(testing::FakeJournal::entry(n, "entry " + std::to_string(n)));
    }
  }
};

}  // namespace

TEST_CASE("--once reads every entry in journal order, in batches that carry their last cursor") {
  Harness h(true);
  h.add(1, 10);
  auto reader = h.reader(4);
  reader.run(false);
  CHECK(reader.entries() == 10);
  const auto messages = h.ctx.messages();
  REQUIRE(messages.size() == 10);
  for (int n = 1; n <= 10; ++n)
    CHECK(messages[static_cast<size_t>(n - 1)] == "entry " + std::to_string(n));
  REQUIRE(h.ctx.batches.size() == 3);  // 4 + 4 + 2
  CHECK(h.ctx.batches[0]->position == "c4");
  CHECK(h.ctx.batches[1]->position == "c8");
  CHECK(h.ctx.batches[2]->position == "c10");
  // Ranges are contiguous and non-empty, so the tracker can commit them in order.
  CHECK(h.ctx.batches[0]->begin == 0);
  CHECK(h.ctx.batches[1]->begin == h.ctx.batches[0]->end);
  CHECK(h.ctx.batches[2]->begin == h.ctx.batches[1]->end);
  CHECK(h.ctx.batches[2]->end > h.ctx.batches[2]->begin);
}

TEST_CASE("the checkpoint holds the cursor of the last entry every sink acknowledged") {
  Harness h(true);
  h.add(1, 6);
  auto reader = h.reader(3);
  reader.run(false);
  REQUIRE(h.ctx.batches.size() == 2);
  h.ctx.acks().completed(*h.ctx.batches[1], true);  // the later batch first: nothing moves
  CHECK(h.ctx.acks().snapshot().at(0).position.empty());
  h.ctx.acks().completed(*h.ctx.batches[0], true);
  CHECK(h.ctx.acks().snapshot().at(0).position == "c6");
  h.ctx.batches.clear();
  CHECK(h.ctx.pool().in_use() == 0);  // the input gave its chunk back when it returned
}

TEST_CASE("an entry the reader was started on is read first (a start that stopped on it)") {
  Harness h(true);
  h.add(1, 3);
  REQUIRE(h.journal.next() == 1);
  REQUIRE(h.journal.next() == 1);  // on c2
  auto reader = h.reader();
  reader.run(true);
  CHECK(h.ctx.messages() == std::vector<std::string>{"entry 2", "entry 3"});
}

TEST_CASE("following, the reader emits what it has at the end of the journal and waits there") {
  Harness h(false);
  h.add(1, 2);
  auto reader = h.reader();
  std::thread t([&] { reader.run(false); });
  while (h.journal.waits == 0) std::this_thread::yield();  // it reached the end and waits
  h.ctx.stop();
  t.join();
  CHECK(h.ctx.messages() == std::vector<std::string>{"entry 1", "entry 2"});
  CHECK(h.ctx.batches.size() == 1);
}

TEST_CASE("a pipeline that acknowledges nothing stops the reader at the pool's budget") {
  Harness h(true, 2 * 4096, 4096);  // 2 chunks of 4 KiB
  for (int n = 1; n <= 20; ++n) {
    h.journal.entries.push_back(testing::FakeJournal::entry(n, std::string(1500, 'x')));
  }
  auto reader = h.reader(1);
  std::thread t([&] { reader.run(false); });
  while (h.ctx.pool().waits() == 0) std::this_thread::yield();  // blocked taking a third chunk
  CHECK(h.ctx.messages().size() < 20);
  CHECK(h.ctx.pool().in_use() == 2);
  h.ctx.stop();  // the wait ends with the stop, not with memory beyond the budget
  t.join();
  h.ctx.batches.clear();
  CHECK(h.ctx.pool().in_use() == 0);
}

TEST_CASE("a read error in --once mode is reported as unread, not as the end of the journal") {
  Harness h(true);
  h.add(1, 2);
  h.journal.fail_next = 5;
  auto reader = h.reader();
  reader.run(false);
  REQUIRE(h.ctx.unread_.size() == 1);
  CHECK(h.ctx.unread_[0].find("journal:test") == 0);
}

TEST_CASE("entries fill the pool's chunks, and a batch spanning two chunks keeps both") {
  Harness h(true, 64 * 1024, 4096);  // 16 chunks of 4 KiB
  for (int n = 1; n <= 5; ++n) {
    h.journal.entries.push_back(
        testing::FakeJournal::entry(n, std::string(1500, static_cast<char>('a' + n))));
  }
  auto reader = h.reader();
  reader.run(false);
  const auto messages = h.ctx.messages();
  REQUIRE(messages.size() == 5);
  for (const auto& m : messages) CHECK(m.size() == 1500);
  size_t chunks = 0;
  for (const auto& b : h.ctx.batches) chunks += b->chunks.size();
  CHECK(chunks >= 2);
  h.ctx.complete_all();
  CHECK(h.ctx.pool().in_use() == 0);
}

}  // namespace logagent::plugins::journald
