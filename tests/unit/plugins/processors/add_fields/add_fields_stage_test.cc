// add_fields on batches built here.
#include "plugins/processors/add_fields/add_fields_stage.h"

#include <doctest/doctest.h>

#include "plugins/processors/processor_test_support.h"

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

TEST_CASE("add_fields: text in braces that is no placeholder is kept as written, doubled too") {
  add_fields::AddFieldsOptions o;
  o.fields = {{"j", "{{\"a\":1}} {x} {field.y} {offset"}};
  add_fields::AddFieldsStage stage(o, "h", "p", MetricsScope());
  ProcBatch b({"a"});
  stage.process(b.batch);
  CHECK(fields_text(b.batch, 0) == "j={{\"a\":1}} {x} {field.y} {offset");
}

TEST_CASE("add_fields: {file} is empty for a batch without a source, values may be empty") {
  add_fields::AddFieldsOptions o;
  o.fields = {{"empty", ""}, {"src", "[{file}]@{offset}"}};
  add_fields::AddFieldsStage stage(o, "h", "p", MetricsScope());
  ProcBatch b({"a"});
  b.batch.source = nullptr;
  stage.process(b.batch);
  CHECK(fields_text(b.batch, 0) == "empty=,src=[]@100");
}
