#include "plugins/parsers/json/json_parser.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "agent/metrics/metrics_registry.h"
#include "plugins/parsers/parser_test_support.h"

using namespace logagent;
using logagent::plugins::json::JsonStage;
using logagent::testing::LineBatch;

TEST_CASE("json: the stage counts parsed and failed events per batch, labelled by stage") {
  auto registry = std::make_shared<MetricsRegistry>();
  PluginContext ctx;
  ctx.pipeline = "app";
  ctx.metrics = MetricsScope(registry, {{"pipeline", "app"}});
  auto stage = JsonStage::create(JsonStage::Options{}, ctx);
  REQUIRE(stage);
  LineBatch lb({R"({"a":1})", "oops", R"({"b":2})"});
  stage.value()->process(lb.batch);
  const std::string text = registry->render();
  CHECK(text.find(R"(logagent_parser_events_total{pipeline="app",result="ok",stage="json"} 2)") !=
        std::string::npos);
  CHECK(
      text.find(R"(logagent_parser_events_total{pipeline="app",result="error",stage="json"} 1)") !=
      std::string::npos);
}
