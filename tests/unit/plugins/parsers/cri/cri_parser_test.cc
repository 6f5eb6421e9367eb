#include "plugins/parsers/cri/cri_parser.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "agent/metrics/metrics_registry.h"
#include "plugins/parsers/parser_test_support.h"

using namespace logagent;
using logagent::plugins::cri::CriOptions;
using logagent::plugins::cri::CriStage;
using logagent::testing::fields_json;
using logagent::testing::LineBatch;

namespace {

std::unique_ptr<Stage> make_stage(OnError on_error = OnError::kKeep,
                                  std::shared_ptr<MetricsRegistry> registry = nullptr) {
  PluginContext ctx;
  if (registry) ctx.metrics = MetricsScope(registry, {{"pipeline", "app"}});
  CriOptions o;
  o.on_error = on_error;
  auto stage = CriStage::create(o, ctx);
  REQUIRE(stage);
  return std::move(stage.value());
}

// "message {fields}" per live event.
std::vector<std::string> live(const Batch& batch) {
  std::vector<std::string> out;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (batch.events[i].flags & kEventDropped) continue;
    out.push_back(std::string(batch.events[i].message) + " " + fields_json(batch, i));
  }
  return out;
}

}  // namespace

TEST_CASE("cri: containerd lines become time and stream fields and the message part") {
  LineBatch lb({"2024-05-01T12:34:56.123456789Z stdout F GET /healthz 200",
                "2024-05-01T12:34:57.000000001+02:00 stderr F panic: boom",
                "2024-05-01T12:34:58.5Z stdout F ", "2024-05-01T12:34:58.6Z stdout F"});
  make_stage()->process(lb.batch);
  const auto events = live(lb.batch);
  REQUIRE(events.size() == 4);
  CHECK(events[0] ==
        R"(GET /healthz 200 {"time":"2024-05-01T12:34:56.123456789Z","stream":"stdout"})");
  CHECK(events[1] ==
        R"(panic: boom {"time":"2024-05-01T12:34:57.000000001+02:00","stream":"stderr"})");
  CHECK(events[2] == R"( {"time":"2024-05-01T12:34:58.5Z","stream":"stdout"})");
  CHECK(events[3] == R"( {"time":"2024-05-01T12:34:58.6Z","stream":"stdout"})");
  // The message is narrowed in place: a view into the line, not a copy.
  CHECK(lb.batch.events[0].message.data() == lb.lines[0].data() + 40);
}

TEST_CASE("cri: P lines are joined with the F line of the same stream, across interleaving") {
  LineBatch lb({"2024-05-01T00:00:01Z stdout P first ", "2024-05-01T00:00:02Z stderr F oops",
                "2024-05-01T00:00:03Z stdout P second ", "2024-05-01T00:00:04Z stdout F third",
                "2024-05-01T00:00:05Z stdout F next"});
  make_stage()->process(lb.batch);
  CHECK((lb.batch.events[2].flags & kEventDropped) != 0);
  CHECK((lb.batch.events[3].flags & kEventDropped) != 0);
  CHECK(live(lb.batch) ==
        std::vector<std::string>{
            R"(first second third {"time":"2024-05-01T00:00:01Z","stream":"stdout"})",
            R"(oops {"time":"2024-05-01T00:00:02Z","stream":"stderr"})",
            R"(next {"time":"2024-05-01T00:00:05Z","stream":"stdout"})"});
}

TEST_CASE("cri: partial lines still open at the end of a batch come out flagged _partial") {
  auto stage = make_stage();
  LineBatch first({"2024-05-01T00:00:01Z stdout P aaa", "2024-05-01T00:00:02Z stdout P bbb",
                   "2024-05-01T00:00:03Z stderr P lone"});
  stage->process(first.batch);
  CHECK(live(first.batch) ==
        std::vector<std::string>{
            R"(aaabbb {"time":"2024-05-01T00:00:01Z","stream":"stdout","_partial":true})",
            R"(lone {"time":"2024-05-01T00:00:03Z","stream":"stderr","_partial":true})"});
  // The next batch starts fresh: its F line is an event of its own, not flagged.
  LineBatch second({"2024-05-01T00:00:04Z stdout F ccc"});
  stage->process(second.batch);
  CHECK(live(second.batch) ==
        std::vector<std::string>{R"(ccc {"time":"2024-05-01T00:00:04Z","stream":"stdout"})"});
}

TEST_CASE("cri: a tag with extra parts is accepted; malformed lines are errors") {
  LineBatch lb({"2024-05-01T00:00:01Z stdout F:extra ok", "plain text line",
                "2024-05-01T00:00:01Z stdin F x", "2024-05-01T00:00:01Z stdout X x",
                "2024-05-01T00:00:01Z stdout", " stdout F x", ""});
  make_stage()->process(lb.batch);
  CHECK(lb.batch.events[0].message == "ok");
  CHECK(fields_json(lb.batch, 1) == R"({"_error":"cri: stream is neither stdout nor stderr"})");
  CHECK(fields_json(lb.batch, 2) == R"({"_error":"cri: stream is neither stdout nor stderr"})");
  CHECK(fields_json(lb.batch, 3) == R"({"_error":"cri: tag is neither P nor F"})");
  CHECK(fields_json(lb.batch, 4) == R"({"_error":"cri: no tag"})");
  CHECK(fields_json(lb.batch, 5) == R"({"_error":"cri: no time"})");
  CHECK(fields_json(lb.batch, 6) == R"({"_error":"cri: no time"})");
  for (size_t i = 1; i < lb.batch.events.size(); ++i) {
    CHECK((lb.batch.events[i].flags & kEventParseError) != 0);
    CHECK(lb.batch.events[i].message == lb.lines[i]);  // left as read
  }
}

TEST_CASE("cri: with on_error drop, a malformed line between P and F does not break the join") {
  LineBatch lb({"2024-05-01T00:00:01Z stdout P ab", "garbage", "2024-05-01T00:00:02Z stdout F cd"});
  make_stage(OnError::kDrop)->process(lb.batch);
  CHECK(live(lb.batch) ==
        std::vector<std::string>{R"(abcd {"time":"2024-05-01T00:00:01Z","stream":"stdout"})"});
}

TEST_CASE("cri: the stage counts every parsed line, joined ones included") {
  auto registry = std::make_shared<MetricsRegistry>();
  auto stage = make_stage(OnError::kKeep, registry);
  LineBatch lb({"2024-05-01T00:00:01Z stdout P a", "2024-05-01T00:00:02Z stdout F b", "bad"});
  stage->process(lb.batch);
  const std::string text = registry->render();
  CHECK(text.find(R"(logagent_parser_events_total{pipeline="app",result="ok",stage="cri"} 2)") !=
        std::string::npos);
  CHECK(text.find(R"(logagent_parser_events_total{pipeline="app",result="error",stage="cri"} 1)") !=
        std::string::npos);
}

namespace {

using logagent::testing::SourceFeed;

std::unique_ptr<Stage> make_limited_stage(uint64_t max_bytes) {
  CriOptions o;
  o.max_bytes.bytes = max_bytes;
  auto stage = CriStage::create(o, PluginContext{});
  REQUIRE(stage);
  return std::move(stage.value());
}

}  // namespace

TEST_CASE("cri: a P run split over two batches comes out whole; the first batch holds it back") {
  auto stage = make_stage();
  SourceFeed feed;
  auto first =
      feed.next({"2024-05-01T00:00:01Z stdout F before", "2024-05-01T00:00:02Z stdout P aaa",
                 "2024-05-01T00:00:03Z stdout P bbb"});
  stage->process(*first);
  CHECK(live(*first) ==
        std::vector<std::string>{R"(before {"time":"2024-05-01T00:00:01Z","stream":"stdout"})"});
  CHECK(first->carried_from == first->events[1].offset);
  auto second = feed.next({"2024-05-01T00:00:04Z stdout P ccc", "2024-05-01T00:00:05Z stdout F ddd",
                           "2024-05-01T00:00:06Z stdout F next"});
  stage->process(*second);
  CHECK(live(*second) == std::vector<std::string>{
                             R"(aaabbbcccddd {"time":"2024-05-01T00:00:02Z","stream":"stdout"})",
                             R"(next {"time":"2024-05-01T00:00:06Z","stream":"stdout"})"});
  CHECK(second->events[0].offset == first->events[1].offset);  // the line's first byte
  CHECK(second->carried_from == kNothingCarried);
}

TEST_CASE("cri: a P run split over three batches holds each batch back to its first byte") {
  auto stage = make_stage();
  SourceFeed feed;
  auto b1 = feed.next({"2024-05-01T00:00:01Z stdout P x1"});
  auto b2 = feed.next({"2024-05-01T00:00:02Z stdout P x2"});
  auto b3 = feed.next({"2024-05-01T00:00:03Z stdout F x3"});
  stage->process(*b1);
  stage->process(*b2);
  CHECK(live(*b1).empty());
  CHECK(live(*b2).empty());
  CHECK(b1->carried_from == 0);
  CHECK(b2->carried_from == 0);  // before the batch's own range: the line began earlier
  stage->process(*b3);
  CHECK(live(*b3) ==
        std::vector<std::string>{R"(x1x2x3 {"time":"2024-05-01T00:00:01Z","stream":"stdout"})"});
  CHECK(b3->carried_from == kNothingCarried);
}

TEST_CASE("cri: stdout and stderr runs interleaved across batches are joined per stream") {
  auto stage = make_stage();
  SourceFeed feed;
  auto b1 = feed.next({"2024-05-01T00:00:01Z stdout P o1", "2024-05-01T00:00:02Z stderr P e1",
                       "2024-05-01T00:00:03Z stdout F o2"});
  auto b2 = feed.next({"2024-05-01T00:00:04Z stderr P e2", "2024-05-01T00:00:05Z stdout P o3"});
  auto b3 = feed.next({"2024-05-01T00:00:06Z stdout F o4", "2024-05-01T00:00:07Z stderr F e3"});
  stage->process(*b1);
  CHECK(live(*b1) ==
        std::vector<std::string>{R"(o1o2 {"time":"2024-05-01T00:00:01Z","stream":"stdout"})"});
  // e1 began while o1 was open: a restart at e1 would read o2 alone, so b1 holds back to o1.
  CHECK(b1->carried_from == 0);
  stage->process(*b2);
  CHECK(live(*b2).empty());
  CHECK(b2->carried_from == 0);
  stage->process(*b3);
  CHECK(live(*b3) ==
        std::vector<std::string>{R"(o3o4 {"time":"2024-05-01T00:00:05Z","stream":"stdout"})",
                                 R"(e1e2e3 {"time":"2024-05-01T00:00:02Z","stream":"stderr"})"});
}

TEST_CASE("cri: a line reaching max_bytes is emitted flagged truncated and nothing is dropped") {
  auto stage = make_limited_stage(8);
  SourceFeed feed;
  auto b1 = feed.next({"2024-05-01T00:00:01Z stdout P aaaa", "2024-05-01T00:00:02Z stdout P bbbb",
                       "2024-05-01T00:00:03Z stdout P cc"});
  stage->process(*b1);
  CHECK(live(*b1) ==
        std::vector<std::string>{R"(aaaabbbb {"time":"2024-05-01T00:00:01Z","stream":"stdout"})"});
  CHECK((b1->events[0].flags & kEventTruncated) != 0);
  CHECK(b1->carried_from == b1->events[2].offset);
  auto b2 = feed.next({"2024-05-01T00:00:04Z stdout P dddddd", "2024-05-01T00:00:05Z stdout F e"});
  stage->process(*b2);
  // The carried "cc" reaches 8 bytes with "dddddd", across the batches: truncated there too.
  CHECK(live(*b2) ==
        std::vector<std::string>{R"(ccdddddd {"time":"2024-05-01T00:00:03Z","stream":"stdout"})",
                                 R"(e {"time":"2024-05-01T00:00:05Z","stream":"stdout"})"});
  CHECK((b2->events[0].flags & kEventTruncated) != 0);
  CHECK((b2->events[1].flags & kEventTruncated) == 0);
}

TEST_CASE("cri: a file that ends in the middle of a line emits it flagged _partial at its end") {
  auto stage = make_stage();
  SourceFeed feed;
  auto b1 = feed.next({"2024-05-01T00:00:01Z stdout P aa", "2024-05-01T00:00:02Z stderr F done"});
  stage->process(*b1);
  CHECK(live(*b1) ==
        std::vector<std::string>{R"(done {"time":"2024-05-01T00:00:02Z","stream":"stderr"})"});
  auto end = feed.end();
  stage->process(*end);
  CHECK(live(*end) ==
        std::vector<std::string>{
            R"(aa {"time":"2024-05-01T00:00:01Z","stream":"stdout","_partial":true})"});
  CHECK(end->events[0].offset == 0);
  CHECK(end->carried_from == kNothingCarried);
  // The source's state is gone: a later source with the same id starts fresh.
  auto again = feed.next({"2024-05-01T00:00:03Z stdout F new"});
  stage->process(*again);
  CHECK(live(*again) ==
        std::vector<std::string>{R"(new {"time":"2024-05-01T00:00:03Z","stream":"stdout"})"});
}

TEST_CASE("cri: a truncated file's next batch emits the old generation's open line unfinished") {
  auto stage = make_stage();
  SourceFeed feed;
  auto b1 = feed.next({"2024-05-01T00:00:01Z stdout P old"});
  stage->process(*b1);
  feed.generation = 1;
  feed.offset = 0;
  auto b2 = feed.next({"2024-05-01T00:00:02Z stdout F new"});
  stage->process(*b2);
  CHECK(live(*b2) ==
        std::vector<std::string>{
            R"(new {"time":"2024-05-01T00:00:02Z","stream":"stdout"})",
            R"(old {"time":"2024-05-01T00:00:01Z","stream":"stdout","_partial":true})"});
}

TEST_CASE("cri: files of one lane keep their own open lines") {
  auto stage = make_stage();
  SourceFeed a, b;
  b.state = std::make_shared<logagent::testing::TestSource>(8);
  auto a1 = a.next({"2024-05-01T00:00:01Z stdout P a1"});
  auto b1 = b.next({"2024-05-01T00:00:02Z stdout P b1"});
  auto a2 = a.next({"2024-05-01T00:00:03Z stdout F a2"});
  auto b2 = b.next({"2024-05-01T00:00:04Z stdout F b2"});
  for (Batch* x : {a1.get(), b1.get(), a2.get(), b2.get()}) stage->process(*x);
  CHECK(live(*a2) ==
        std::vector<std::string>{R"(a1a2 {"time":"2024-05-01T00:00:01Z","stream":"stdout"})"});
  CHECK(live(*b2) ==
        std::vector<std::string>{R"(b1b2 {"time":"2024-05-01T00:00:02Z","stream":"stdout"})"});
}

TEST_CASE("cri: a line open alone holds its batch back to its own first byte") {
  auto stage = make_stage();
  SourceFeed feed;
  auto b1 = feed.next({"2024-05-01T00:00:01Z stdout P o1", "2024-05-01T00:00:02Z stdout F o2",
                       "2024-05-01T00:00:03Z stderr P e1"});
  stage->process(*b1);
  CHECK(b1->carried_from == b1->events[2].offset);  // o1o2 ended before e1 began
}
