#include "plugins/sinks/kafka/kafka_metrics.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "agent/metrics/metrics_registry.h"

using namespace logagent;
using namespace logagent::plugins::kafka;

namespace {

struct Env {
  std::shared_ptr<MetricsRegistry> registry = std::make_shared<MetricsRegistry>();
  MetricsScope scope{registry, {{"pipeline", "p"}, {"sink", "kafka"}}};
  double value(const MetricDef& def, const Labels& extra = {}) const {
    return scope.counter(def, extra).value();
  }
};

}  // namespace

TEST_CASE("kafka metrics: counts noted on any thread reach the counters only at publish()") {
  Env env;
  KafkaMetrics m(env.scope);
  m.note_delivered(3, 300);
  m.note_delivered(2, 20);
  m.note_retries(4);
  m.note_queue_full();
  m.note_dead_lettered(7);
  CHECK(env.value(kDeliveredMessages) == 0);
  m.publish();
  CHECK(env.value(kDeliveredMessages) == 5);
  CHECK(env.value(kDeliveredBytes) == 320);
  CHECK(env.value(kRetries) == 4);
  CHECK(env.value(kQueueFullWaits) == 1);
  CHECK(env.value(kEventsDeadLettered) == 7);
  m.publish();  // nothing new: nothing added twice
  CHECK(env.value(kDeliveredMessages) == 5);
  CHECK(env.registry->declaration_errors().empty());
}

TEST_CASE("kafka metrics: errors are counted by librdkafka's name, out-of-range codes clamped") {
  Env env;
  KafkaMetrics m(env.scope);
  m.note_error(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  m.note_error(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  m.note_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
  m.note_error(static_cast<rd_kafka_resp_err_t>(255));  // past the table: clamped, counted
  m.publish();
  CHECK(env.value(kErrors, {{"reason", rd_kafka_err2name(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)}}) ==
        2);
  CHECK(env.value(kErrors, {{"reason", rd_kafka_err2name(RD_KAFKA_RESP_ERR__TIMED_OUT)}}) == 1);
  const std::string text = env.registry->render();
  CHECK(text.find("logagent_kafka_errors_total{") != std::string::npos);
  CHECK(env.registry->declaration_errors().empty());
}

TEST_CASE("kafka metrics: every declared metric is in the sink's table, counters end in _total") {
  for (const MetricDef& def : kKafkaMetrics) {
    CAPTURE(def.name);
    CHECK((def.kind == MetricKind::kCounter) == def.name.ends_with("_total"));
  }
}

TEST_CASE("kafka metrics: leader moves and request retries are counted from the statistics") {
  Env env;
  KafkaMetrics m(env.scope);
  BrokerStats s;
  s.request_retries = 5;
  s.leaders = {{"logs", 0, 1}, {"logs", 1, 2}};
  CHECK(m.note_stats(s).count == 0);  // first sight: no move, the retries so far are counted
  CHECK(env.value(kRequestRetries) == 5);
  s.leaders = {{"logs", 0, -1}, {"logs", 1, 2}};
  CHECK(m.note_stats(s).count == 0);  // leaderless for a while: not a move yet
  s.request_retries = 9;
  s.leaders = {{"logs", 0, 3}, {"logs", 1, 3}};
  const auto moved = m.note_stats(s);
  CHECK(moved.count == 2);
  CHECK(moved.sample == "logs/0 1->3, logs/1 2->3");
  CHECK(env.value(kLeaderChanges) == 2);
  CHECK(env.value(kRequestRetries) == 9);
  s.request_retries = 2;  // a re-created producer counts from 0 again
  CHECK(m.note_stats(s).count == 0);
  s.request_retries = 3;
  m.note_stats(s);
  CHECK(env.value(kRequestRetries) == 10);
  CHECK(env.value(kLeaderChanges) == 2);
}
