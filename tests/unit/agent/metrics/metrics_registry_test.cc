#include "agent/metrics/metrics_registry.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace logagent;

namespace {

constexpr MetricDef kTestEvents{"logagent_test_events_total", MetricKind::kCounter,
                                "pipeline,result", "Events seen by the test"};
constexpr MetricDef kTestDepth{"logagent_test_depth", MetricKind::kGauge, "pipeline",
                               "Items waiting in the test"};
constexpr MetricDef kTestLatency{"logagent_test_latency_seconds", MetricKind::kHistogram,
                                 "pipeline", "Time the test took"};

bool has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

}  // namespace

TEST_CASE("a counter is exported as a counter, with its help and labels") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}});
  scope.counter(kTestEvents, {{"result", "ok"}}).add(3);
  const std::string text = registry->render();
  CHECK(has(text, "# TYPE logagent_test_events_total counter"));
  CHECK(has(text, "# HELP logagent_test_events_total Events seen by the test"));
  CHECK(has(text, R"(logagent_test_events_total{pipeline="app",result="ok"} 3)"));
  CHECK(registry->declaration_errors().empty());
}

TEST_CASE("gauges and histograms are exported as their declared kinds") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}});
  scope.gauge(kTestDepth).set(7);
  scope.histogram(kTestLatency, {0.1, 1}).observe(0.5);
  const std::string text = registry->render();
  CHECK(has(text, "# TYPE logagent_test_depth gauge"));
  CHECK(has(text, R"(logagent_test_depth{pipeline="app"} 7)"));
  CHECK(has(text, "# TYPE logagent_test_latency_seconds histogram"));
  CHECK(has(text, R"(logagent_test_latency_seconds_count{pipeline="app"} 1)"));
  CHECK(registry->declaration_errors().empty());
}

TEST_CASE("asking twice for one series returns the same series") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}});
  scope.counter(kTestEvents, {{"result", "ok"}}).add(1);
  scope.counter(kTestEvents, {{"result", "ok"}}).add(2);
  CHECK(scope.counter(kTestEvents, {{"result", "ok"}}).value() == 3);
  CHECK(scope.counter(kTestEvents, {{"result", "error"}}).value() == 0);
}

TEST_CASE("a handle whose labels differ from its declaration is a declaration error") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}});
  scope.counter(kTestEvents);  // no "result" label
  const auto errors = registry->declaration_errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "logagent_test_events_total: declared with labels {pipeline,result}, made with "
        "{pipeline}");
}

TEST_CASE("a def made as another kind gives an inert handle and a declaration error") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}});
  const Gauge g = scope.gauge(kTestEvents, {{"result", "ok"}});
  g.set(5);
  CHECK(g.value() == 0);
  REQUIRE(registry->declaration_errors().size() == 1);
  CHECK(registry->declaration_errors()[0] ==
        "logagent_test_events_total: declared a counter, made as a gauge");
  CHECK_FALSE(has(registry->render(), "logagent_test_events_total"));
}

TEST_CASE("one name declared twice with different meanings is a declaration error") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}});
  constexpr MetricDef kReworded{"logagent_test_depth", MetricKind::kGauge, "pipeline",
                                "Something else"};
  scope.gauge(kTestDepth);
  scope.gauge(kReworded);
  REQUIRE(registry->declaration_errors().size() == 1);
  CHECK(registry->declaration_errors()[0] == "logagent_test_depth: declared twice, differently");
}

TEST_CASE("with_default adds only the labels the scope does not carry") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "app"}, {"stage", "json_2"}});
  const MetricsScope stage = scope.with_default({{"stage", "json"}, {"result", "ok"}});
  CHECK(stage.labels().at("stage") == "json_2");
  CHECK(stage.labels().at("result") == "ok");
  CHECK(scope.with({{"stage", "json"}}).labels().at("stage") == "json");
}

TEST_CASE("samplers run before every render until removed") {
  auto registry = std::make_shared<MetricsRegistry>();
  const Gauge g(registry->gauge(kTestDepth, {{"pipeline", "app"}}));
  int runs = 0;
  const uint64_t id = registry->add_sampler([&] { g.set(++runs); });
  CHECK(has(registry->render(), R"(logagent_test_depth{pipeline="app"} 1)"));
  CHECK(has(registry->render(), R"(logagent_test_depth{pipeline="app"} 2)"));
  registry->remove_sampler(id);
  registry->render();
  CHECK(runs == 2);
}

TEST_CASE("a scope without a registry makes inert handles") {
  const MetricsScope scope;
  const Counter c = scope.counter(kTestEvents, {{"result", "ok"}});
  c.add(4);
  CHECK(c.value() == 0);
}

TEST_CASE("a removed gauge series leaves the exposition and its siblings stay") {
  auto registry = std::make_shared<MetricsRegistry>();
  Gauge(registry->gauge(kTestDepth, {{"pipeline", "app"}})).set(7);
  Gauge(registry->gauge(kTestDepth, {{"pipeline", "old"}})).set(3);
  registry->remove_gauge(kTestDepth, {{"pipeline", "old"}});
  registry->remove_gauge(kTestDepth, {{"pipeline", "never-made"}});  // nothing to remove
  registry->remove_gauge(kTestEvents, {{"pipeline", "app"}});        // not a gauge family
  const std::string text = registry->render();
  CHECK(has(text, R"(logagent_test_depth{pipeline="app"} 7)"));
  CHECK_FALSE(has(text, R"(pipeline="old")"));
  // Made again, it starts from zero.
  CHECK(Gauge(registry->gauge(kTestDepth, {{"pipeline", "old"}})).value() == 0);
  CHECK(registry->declaration_errors().empty());
}
