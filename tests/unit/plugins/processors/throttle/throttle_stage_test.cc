// throttle with a manual clock.
#include "plugins/processors/throttle/throttle_stage.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "plugins/processors/processor_test_support.h"

using namespace logagent;
using namespace logagent::plugins::throttle;
using logagent::testing::MetricsFixture;
using logagent::testing::ProcBatch;

namespace {

constexpr int64_t kSecond = 1'000'000'000;

std::vector<std::string> lines(size_t n) { return std::vector<std::string>(n, "line"); }

}  // namespace

TEST_CASE("throttle lets events_per_second through globally and refills with time") {
  int64_t now = 5 * kSecond;
  ThrottleOptions o;
  o.events_per_second = 3;
  MetricsFixture m;
  ThrottleStage stage(o, m.ctx.metrics.with({{"stage", "throttle"}}), [&now] { return now; });
  ProcBatch b1(lines(5));
  stage.process(b1.batch);
  CHECK(b1.batch.live_events() == 3);
  CHECK(b1.dropped(3));
  CHECK(b1.dropped(4));

  now += kSecond / 3 + 1;  // one token back
  ProcBatch b2(lines(3));
  stage.process(b2.batch);
  CHECK(b2.batch.live_events() == 1);

  now += 10 * kSecond;  // refills up to the burst only
  ProcBatch b3(lines(10));
  stage.process(b3.batch);
  CHECK(b3.batch.live_events() == 3);
  CHECK(
      m.has(R"(logagent_processor_events_total{pipeline="app",result="kept",stage="throttle"} 7)"));
  CHECK(m.has(
      R"(logagent_processor_events_total{pipeline="app",result="throttled",stage="throttle"} 11)"));
}

TEST_CASE("throttle limits each key separately; events without the key share one bucket") {
  int64_t now = 0;
  ThrottleOptions o;
  o.events_per_second = 1;
  o.by = "svc";
  ThrottleStage stage(o, MetricsScope(), [&now] { return now; });
  ProcBatch b(lines(6));
  b.set_fields(0, {{"svc", "a"}});
  b.set_fields(1, {{"svc", "a"}});
  b.set_fields(2, {{"svc", "b"}});
  b.set_fields(3, {{"svc", "c"}});
  stage.process(b.batch);
  CHECK_FALSE(b.dropped(0));
  CHECK(b.dropped(1));
  CHECK_FALSE(b.dropped(2));
  CHECK_FALSE(b.dropped(3));
  CHECK_FALSE(b.dropped(4));  // no svc: the "" bucket
  CHECK(b.dropped(5));
  CHECK(stage.keys() == 4);
}

TEST_CASE("throttle forgets idle keys when the key map is full, else resets it") {
  int64_t now = 0;
  ThrottleOptions o;
  o.events_per_second = 1;
  o.by = "message";
  o.max_keys = 2;
  MetricsFixture m;
  ThrottleStage stage(o, m.ctx.metrics.with({{"stage", "throttle"}}), [&now] { return now; });
  ProcBatch b1({"a", "b"});
  stage.process(b1.batch);
  CHECK(stage.keys() == 2);

  now += 2 * kSecond;  // a and b are idle and full again
  ProcBatch b2({"c", "a"});
  stage.process(b2.batch);
  CHECK(b2.batch.live_events() == 2);
  CHECK(stage.keys() == 2);

  // c and a are active: a new key resets the map, and a then gets a fresh bucket.
  ProcBatch b3({"d", "a"});
  stage.process(b3.batch);
  CHECK(b3.batch.live_events() == 2);
  CHECK(m.has(R"(logagent_processor_throttle_resets_total{pipeline="app",stage="throttle"} 1)"));
}

TEST_CASE("the throttle plugin uses the steady clock by default") {
  ThrottleOptions o;
  o.events_per_second = 2;
  auto stage = ThrottlePlugin::create(o, {});
  REQUIRE(stage);
  ProcBatch b(lines(4));
  stage.value()->process(b.batch);
  CHECK(b.batch.live_events() == 2);
}
