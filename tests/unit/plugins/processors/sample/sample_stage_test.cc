// sample on batches built here.
#include "plugins/processors/sample/sample_stage.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "plugins/common/field_edit.h"
#include "plugins/processors/processor_test_support.h"

using namespace logagent;
using namespace logagent::plugins::sample;
using logagent::testing::MetricsFixture;
using logagent::testing::ProcBatch;

TEST_CASE("sample keeps exactly the events whose value hashes to 0 mod rate") {
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) lines.push_back("line " + std::to_string(i));
  MetricsFixture m;
  SampleOptions o;
  o.rate = 10;
  auto stage = SamplePlugin::create(o, m.ctx);
  REQUIRE(stage);
  ProcBatch b(lines);
  stage.value()->process(b.batch);
  size_t kept = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK(b.dropped(i) == (stable_hash(lines[i]) % 10 != 0));
    kept += !b.dropped(i);
  }
  CHECK(kept > 50);  // about 100 of 1000
  CHECK(kept < 150);
  CHECK(m.has(R"(logagent_processor_events_total{pipeline="app",result="kept",stage="sample"} )" +
              std::to_string(kept)));
  CHECK(m.has(
      R"(logagent_processor_events_total{pipeline="app",result="sampled_out",stage="sample"} )" +
      std::to_string(1000 - kept)));
}

TEST_CASE("sample makes the same decision for the same value, across batches and stages") {
  SampleOptions o;
  o.rate = 3;
  o.by = "trace";
  SampleStage first(o, MetricsScope());
  SampleStage second(o, MetricsScope());
  ProcBatch a({"x", "y", "z", "w"});
  ProcBatch b({"p", "q", "r", "s"});
  for (size_t i = 0; i < 4; ++i) {
    a.set_fields(i, {{"trace", fmt::format("t{}", i)}});
    b.set_fields(i, {{"trace", fmt::format("t{}", i)}});
  }
  first.process(a.batch);
  second.process(b.batch);
  for (size_t i = 0; i < 4; ++i) CHECK(a.dropped(i) == b.dropped(i));
}

TEST_CASE("sample keeps events without the field and rate 1 keeps everything") {
  SampleOptions o;
  o.rate = 1000000;
  o.by = "trace";
  SampleStage stage(o, MetricsScope());
  ProcBatch b({"no fields", "no fields either"});
  stage.process(b.batch);
  CHECK_FALSE(b.dropped(0));
  CHECK_FALSE(b.dropped(1));

  o.rate = 1;
  o.by = "message";
  SampleStage all(o, MetricsScope());
  ProcBatch c({"a", "b", "c"});
  all.process(c.batch);
  CHECK(c.batch.live_events() == 3);
}
