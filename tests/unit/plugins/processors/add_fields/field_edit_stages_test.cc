// add_fields, remove_fields and rename_fields on batches built here.
#include <doctest/doctest.h>

#include "plugins/processors/add_fields/add_fields_stage.h"
#include "plugins/processors/processor_test_support.h"
#include "plugins/processors/remove_fields/remove_fields_stage.h"
#include "plugins/processors/rename_fields/rename_fields_stage.h"

using namespace logagent;
using namespace logagent::plugins;
using logagent::testing::fields_text;
using logagent::testing::MetricsFixture;
using logagent::testing::ProcBatch;

TEST_CASE("add_fields renders host and pipeline once and file and offset per event") {
  const auto parsed =
      add_fields::parse_template("{host}/{pipeline} {file}@{offset} {x}", "h1", "p");
  REQUIRE(parsed.is_ok());
  const auto& pieces = parsed->parts();
  REQUIRE(pieces.size() == 5);
  CHECK(pieces[0].text == "h1/p ");
  CHECK(pieces[1].kind == TemplatePart::Kind::kFile);
  CHECK(pieces[2].text == "@");
  CHECK(pieces[3].kind == TemplatePart::Kind::kOffset);
  CHECK(pieces[4].text == " {x}");

  add_fields::AddFieldsOptions o;
  o.fields = {{"env", "prod"}, {"src", "{host}:{file}:{offset}"}};
  add_fields::AddFieldsStage stage(o, "box", "app", MetricsScope());
  ProcBatch b({"first", "second"});
  stage.process(b.batch);
  CHECK(fields_text(b.batch, 0) == "env=prod,src=box:/var/log/a.log:100");
  CHECK(fields_text(b.batch, 1) == "env=prod,src=box:/var/log/a.log:106");
}

TEST_CASE("add_fields appends to parsed fields, overwrites existing ones, skips dropped events") {
  add_fields::AddFieldsOptions o;
  o.fields = {{"level", "info"}, {"team", "{pipeline}"}};
  MetricsFixture m;
  auto stage = add_fields::AddFieldsPlugin::create(o, m.ctx);
  REQUIRE(stage);
  ProcBatch b({"a", "b", "c", "d"});
  b.set_fields(0, {{"level", "warn"}, {"k", "1"}});
  b.set_fields(1, {{"k", "2"}});
  b.set_fields(2, {{"k", "3"}});
  b.batch.events[2].flags |= kEventDropped;
  stage.value()->process(b.batch);
  CHECK(fields_text(b.batch, 0) == "level=info,k=1,team=app");
  CHECK(fields_text(b.batch, 1) == "k=2,level=info,team=app");
  CHECK(fields_text(b.batch, 2) == "k=3");
  CHECK(fields_text(b.batch, 3) == "level=info,team=app");
  CHECK(m.has(
      R"(logagent_processor_events_total{pipeline="app",result="modified",stage="add_fields"} 3)"));
}

TEST_CASE("add_fields values live in the batch after the stage is gone") {
  ProcBatch b({"a"});
  {
    add_fields::AddFieldsOptions o;
    o.fields = {{"key_with_a_long_name", "a value that is not in small-string storage"}};
    add_fields::AddFieldsStage stage(o, "h", "p", MetricsScope());
    stage.process(b.batch);
  }
  CHECK(fields_text(b.batch, 0) ==
        "key_with_a_long_name=a value that is not in small-string storage");
}

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
