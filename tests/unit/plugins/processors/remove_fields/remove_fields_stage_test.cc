// remove_fields on batches built here.
#include "plugins/processors/remove_fields/remove_fields_stage.h"

#include <doctest/doctest.h>

#include "plugins/processors/processor_test_support.h"

using namespace logagent;
using namespace logagent::plugins;
using logagent::testing::fields_text;
using logagent::testing::MetricsFixture;
using logagent::testing::ProcBatch;

TEST_CASE("remove_fields removes every listed field and leaves events without fields alone") {
  remove_fields::RemoveFieldsOptions o;
  o.fields = {"password", "_error"};
  MetricsFixture m;
  auto stage = remove_fields::RemoveFieldsPlugin::create(o, m.ctx);
  REQUIRE(stage);
  ProcBatch b({"a", "b", "c"});
  b.set_fields(0, {{"user", "u"}, {"password", "p"}, {"_error", "e"}, {"password", "q"}});
  b.set_fields(1, {{"user", "v"}});
  stage.value()->process(b.batch);
  CHECK(fields_text(b.batch, 0) == "user=u");
  CHECK(fields_text(b.batch, 1) == "user=v");
  CHECK(fields_text(b.batch, 2).empty());
  CHECK(b.batch.events[0].message == "a");
  CHECK(m.has(
      R"(logagent_processor_events_total{pipeline="app",result="modified",stage="remove_fields"} 1)"));

  ProcBatch none({"x", "y"});
  stage.value()->process(none.batch);
  CHECK(none.batch.fields.empty());
}

TEST_CASE("remove_fields: dropped events keep their fields") {
  remove_fields::RemoveFieldsOptions o;
  o.fields = {"k"};
  remove_fields::RemoveFieldsStage stage(o, MetricsScope());
  ProcBatch b({"a", "b"});
  b.set_fields(0, {{"k", "1"}, {"j", "2"}});
  b.set_fields(1, {{"k", "3"}});
  b.batch.events[0].flags |= kEventDropped;
  stage.process(b.batch);
  CHECK(fields_text(b.batch, 0) == "k=1,j=2");
  CHECK(fields_text(b.batch, 1).empty());
}
