// rename_fields on batches built here.
#include "plugins/processors/rename_fields/rename_fields_stage.h"

#include <doctest/doctest.h>

#include "plugins/processors/processor_test_support.h"

using namespace logagent;
using namespace logagent::plugins;
using logagent::testing::fields_text;
using logagent::testing::MetricsFixture;
using logagent::testing::ProcBatch;

TEST_CASE("rename_fields renames the last field of a name and replaces the target") {
  rename_fields::RenameFieldsOptions o;
  o.fields = {{"lvl", "level"}, {"msg", "text"}};
  MetricsFixture m;
  auto stage = rename_fields::RenameFieldsPlugin::create(o, m.ctx);
  REQUIRE(stage);
  ProcBatch b({"a", "b", "c"});
  b.set_fields(0, {{"lvl", "warn"}, {"level", "old"}, {"msg", "hi"}});
  b.set_fields(1, {{"other", "1"}});
  stage.value()->process(b.batch);
  CHECK(fields_text(b.batch, 0) == "level=warn,text=hi");
  CHECK(fields_text(b.batch, 1) == "other=1");
  CHECK(fields_text(b.batch, 2).empty());
  CHECK(m.has(
      R"(logagent_processor_events_total{pipeline="app",result="modified",stage="rename_fields"} 1)"));
}

TEST_CASE("rename_fields: dropped events are left alone and new names outlive the stage") {
  ProcBatch b({"a", "b"});
  b.set_fields(0, {{"lvl", "warn"}});
  b.set_fields(1, {{"lvl", "info"}});
  b.batch.events[0].flags |= kEventDropped;
  {
    rename_fields::RenameFieldsOptions o;
    o.fields = {{"lvl", "a_new_name_that_is_not_in_small_string_storage"}, {"same", "same"}};
    rename_fields::RenameFieldsStage stage(o, MetricsScope());
    stage.process(b.batch);
  }
  CHECK(fields_text(b.batch, 0) == "lvl=warn");
  CHECK(fields_text(b.batch, 1) == "a_new_name_that_is_not_in_small_string_storage=info");
}
