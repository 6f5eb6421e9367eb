// drop and keep on batches built here.
#include "plugins/processors/filter/filter_stage.h"

#include <doctest/doctest.h>

#include "plugins/processors/processor_test_support.h"

using namespace logagent;
using namespace logagent::plugins::filter;
using logagent::testing::MetricsFixture;
using logagent::testing::ProcBatch;

namespace {

FilterOptions options(std::string field, std::optional<std::string> equals,
                      std::optional<std::string> matches, std::optional<bool> exists) {
  FilterOptions o;
  o.field = std::move(field);
  o.equals = std::move(equals);
  o.matches = std::move(matches);
  o.exists = std::move(exists);
  return o;
}

}  // namespace

TEST_CASE("drop by equals drops matching events and counts kept and dropped") {
  MetricsFixture m;
  auto stage = DropPlugin::create(options("level", "debug", std::nullopt, std::nullopt), m.ctx);
  REQUIRE(stage);
  ProcBatch b({"a", "b", "c"});
  b.set_fields(0, {{"level", "debug"}});
  b.set_fields(1, {{"level", "info"}});
  stage.value()->process(b.batch);
  CHECK(b.dropped(0));
  CHECK_FALSE(b.dropped(1));
  CHECK_FALSE(b.dropped(2));  // no such field: no match
  CHECK(
      m.has(R"(logagent_processor_events_total{pipeline="app",result="dropped",stage="drop"} 1)"));
  CHECK(m.has(R"(logagent_processor_events_total{pipeline="app",result="kept",stage="drop"} 2)"));
}

TEST_CASE("keep by regex on the message drops the non-matching events") {
  MetricsFixture m;
  auto stage =
      KeepPlugin::create(options("message", std::nullopt, "ERROR|WARN", std::nullopt), m.ctx);
  REQUIRE(stage);
  ProcBatch b({"x ERROR y", "all fine", "WARN: disk", ""});
  stage.value()->process(b.batch);
  CHECK_FALSE(b.dropped(0));
  CHECK(b.dropped(1));
  CHECK_FALSE(b.dropped(2));
  CHECK(b.dropped(3));
  CHECK(
      m.has(R"(logagent_processor_events_total{pipeline="app",result="dropped",stage="keep"} 2)"));
}

TEST_CASE("exists true and false test for the field, on events with and without fields") {
  auto has_error = DropPlugin::create(options("_error", std::nullopt, std::nullopt, true), {});
  auto lacks_user = DropPlugin::create(options("user", std::nullopt, std::nullopt, false), {});
  REQUIRE(has_error);
  REQUIRE(lacks_user);
  ProcBatch b({"a", "b", "c"});
  b.set_fields(0, {{"_error", "bad"}});
  b.set_fields(1, {{"user", "u"}});
  has_error.value()->process(b.batch);
  CHECK(b.dropped(0));
  lacks_user.value()->process(b.batch);
  CHECK_FALSE(b.dropped(1));
  CHECK(b.dropped(2));
}

TEST_CASE("events dropped earlier are neither matched nor counted") {
  MetricsFixture m;
  auto stage = KeepPlugin::create(options("message", "keep me", std::nullopt, std::nullopt), m.ctx);
  REQUIRE(stage);
  ProcBatch b({"keep me", "other"});
  b.batch.events[0].flags |= kEventDropped;
  stage.value()->process(b.batch);
  CHECK(b.dropped(0));
  CHECK(b.dropped(1));
  CHECK(
      m.has(R"(logagent_processor_events_total{pipeline="app",result="dropped",stage="keep"} 1)"));
}

TEST_CASE("create rejects a bad regex and a missing condition") {
  auto bad = DropPlugin::create(options("message", std::nullopt, "(", std::nullopt), {});
  REQUIRE_FALSE(bad);
  CHECK(bad.message().find("invalid regular expression") != std::string::npos);
  CHECK_FALSE(KeepPlugin::create(options("message", std::nullopt, std::nullopt, std::nullopt), {}));
}

TEST_CASE("equals \"\" is a condition: it matches an empty value, not a missing field") {
  auto stage = DropPlugin::create(options("user", "", std::nullopt, std::nullopt), {});
  REQUIRE(stage);
  ProcBatch b({"a", "b", "c"});
  b.set_fields(0, {{"user", ""}});
  b.set_fields(1, {{"user", "u"}});
  stage.value()->process(b.batch);
  CHECK(b.dropped(0));
  CHECK_FALSE(b.dropped(1));
  CHECK_FALSE(b.dropped(2));
}

TEST_CASE("drop and keep see the source's fields as every event's") {
  MetricsFixture m;
  auto drop = DropPlugin::create(
      options("k8s.namespace", "kube-system", std::nullopt, std::nullopt), m.ctx);
  auto keep = KeepPlugin::create(options("k8s.pod", std::nullopt, "^web-", std::nullopt), m.ctx);
  REQUIRE(drop);
  REQUIRE(keep);
  ProcBatch sys({"a", "b"});
  sys.batch.source = std::make_shared<SourceInfo>(
      "/p", std::vector<SourceField>{{"k8s.namespace", "kube-system", FieldType::kString},
                                     {"k8s.pod", "web-1", FieldType::kString}});
  sys.set_fields(0, {{"k8s.namespace", "moved"}});  // the event's own field wins
  drop.value()->process(sys.batch);
  CHECK_FALSE(sys.dropped(0));
  CHECK(sys.dropped(1));
  ProcBatch app({"c"});
  app.batch.source = std::make_shared<SourceInfo>(
      "/q", std::vector<SourceField>{{"k8s.namespace", "shop", FieldType::kString},
                                     {"k8s.pod", "api-1", FieldType::kString}});
  drop.value()->process(app.batch);
  CHECK_FALSE(app.dropped(0));
  keep.value()->process(app.batch);
  CHECK(app.dropped(0));
}
