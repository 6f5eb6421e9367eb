#include "agent/supervisor/readiness.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace logagent;

namespace {

bool has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

}  // namespace

TEST_CASE("/ready is ready only when there are pipelines and every one is ready") {
  const Readiness all = summarize({{"app", ""}, {"audit", ""}});
  CHECK(all.ready);
  CHECK(all.detail == "pipeline app: ready\npipeline audit: ready\n");

  const Readiness one = summarize({{"app", ""}, {"audit", "sink kafka: no broker connected"}});
  CHECK_FALSE(one.ready);
  CHECK(one.detail == "pipeline app: ready\npipeline audit: sink kafka: no broker connected\n");

  const Readiness none = summarize({});
  CHECK_FALSE(none.ready);
  CHECK(none.detail == "no pipelines\n");
}

TEST_CASE("the readiness gauge says per pipeline what /ready says, and follows it back") {
  auto registry = std::make_shared<MetricsRegistry>();
  ReadinessGauges gauges(registry);
  gauges.update({{"app", ""}, {"audit", "sink kafka: no broker connected"}});
  std::string text = registry->render();
  CHECK(has(text, "# TYPE logagent_pipeline_ready gauge"));
  CHECK(has(text, R"(logagent_pipeline_ready{pipeline="app"} 1)"));
  CHECK(has(text, R"(logagent_pipeline_ready{pipeline="audit"} 0)"));

  gauges.update({{"app", ""}, {"audit", ""}});  // the broker is back
  text = registry->render();
  CHECK(has(text, R"(logagent_pipeline_ready{pipeline="audit"} 1)"));
  CHECK(registry->declaration_errors().empty());
}

TEST_CASE("a pipeline a reload removed loses its readiness series; a new one gets its own") {
  auto registry = std::make_shared<MetricsRegistry>();
  ReadinessGauges gauges(registry);
  gauges.update({{"app", ""}, {"old", "not started"}});
  gauges.update({{"app", ""}, {"new", ""}});
  const std::string text = registry->render();
  CHECK(has(text, R"(logagent_pipeline_ready{pipeline="app"} 1)"));
  CHECK(has(text, R"(logagent_pipeline_ready{pipeline="new"} 1)"));
  CHECK_FALSE(has(text, R"(pipeline="old")"));

  gauges.update({});  // every pipeline gone: no series left
  CHECK_FALSE(has(registry->render(), "logagent_pipeline_ready{"));
}
