#include "plugins/inputs/tail/tail_metrics.h"

#include <doctest/doctest.h>

#include <memory>

#include "agent/metrics/metrics_registry.h"

using namespace logagent;
using namespace logagent::plugins::tail;

TEST_CASE("tail metrics: made from their declarations, with the declared labels") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "p"}});
  TailMetrics m(scope);
  m.rotations.inc();
  m.files_open.set(3);
  CHECK(scope.counter(kRotations).value() == 1);
  CHECK(scope.gauge(kFilesOpen).value() == 3);
  CHECK(registry->declaration_errors().empty());
}

TEST_CASE("tail metrics: a lost file is counted under its reason, an unknown one as deleted") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "p"}});
  TailMetrics m(scope);
  m.lost("overwritten").inc();
  m.lost("moved_away").inc();
  m.lost("moved_away").inc();
  m.lost("deleted").inc();
  m.lost("anything else").inc();
  CHECK(scope.counter(kFilesLost, {{"reason", "overwritten"}}).value() == 1);
  CHECK(scope.counter(kFilesLost, {{"reason", "moved_away"}}).value() == 2);
  CHECK(scope.counter(kFilesLost, {{"reason", "deleted"}}).value() == 2);
}

TEST_CASE("tail metrics: a joiner's counts are added once, per flush reason") {
  auto registry = std::make_shared<MetricsRegistry>();
  const MetricsScope scope(registry, {{"pipeline", "p"}});
  TailMetrics m(scope);
  MultilineCounts c;
  c.joined = 5;
  c.flushes[static_cast<size_t>(FlushReason::kMaxLines)] = 2;
  c.flushes[static_cast<size_t>(FlushReason::kEof)] = 1;
  m.add(c);
  m.add(MultilineCounts{});  // nothing: nothing added
  CHECK(scope.counter(kMultilineJoined).value() == 5);
  CHECK(scope.counter(kMultilineFlushes, {{"reason", "max_lines"}}).value() == 2);
  CHECK(scope.counter(kMultilineFlushes, {{"reason", "eof"}}).value() == 1);
  CHECK(scope.counter(kMultilineFlushes, {{"reason", "flush_after"}}).value() == 0);
}
