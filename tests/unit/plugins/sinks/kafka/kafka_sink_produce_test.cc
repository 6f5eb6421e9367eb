// The kafka sink's produce-with-backpressure loop (kafka_sink_produce.cc) against librdkafka's
// mock cluster: a full queue meeting timeouts, the shutdown abort and a fatal producer error.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <thread>

#include "kafka_test_support.h"
#include "plugins/sinks/kafka/kafka_sink.h"

using namespace logagent;
using namespace logagent::plugins::kafka;
using namespace logagent::plugins::kafka::testing;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> numbered(const std::string& tag, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(fmt::format("{}-{:04}", tag, i));
  return out;
}

// Waits until the sink has waited for queue space at least once (the poll thread publishes the
// count every ~100 ms): the writer is then blocked on the full queue.
void wait_blocked_on_full_queue(const SinkEnv& env) {
  const Counter waits = env.ctx.metrics.counter(kQueueFullWaits);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (waits.value() == 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace

TEST_CASE("kafka sink: a lane blocked on a full queue gives up at the shutdown abort") {
  MockCluster mc;
  mc.create_topic("t-full-abort");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-full-abort");
  o.queue_events = 10;
  auto sink = make_sink(o, env);
  Completions done;
  mc.set_down(true);
  TestBatch a("/logs/a.log", numbered("a", 100));
  std::thread writer([&] { sink->write(a.batch, SinkAck(&done, &a.batch)); });
  wait_blocked_on_full_queue(env);
  env.abort.request_stop();
  writer.join();
  REQUIRE(done.wait(1, 10s));
  CHECK(done.count(SinkOutcome::kRetry) == 1);
}

TEST_CASE("kafka sink: a lane blocked on a full queue gives up at a fatal producer error") {
  MockCluster mc;
  mc.create_topic("t-full-fatal");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-full-fatal");
  o.queue_events = 10;
  auto sink = make_sink(o, env);
  auto* kafka = dynamic_cast<KafkaSink*>(sink.get());
  REQUIRE(kafka != nullptr);
  Completions done;
  TestBatch warm("/logs/a.log", numbered("w", 1));
  sink->write(warm.batch, SinkAck(&done, &warm.batch));
  REQUIRE(done.wait(1));
  mc.set_down(true);
  TestBatch a("/logs/a.log", numbered("a", 100));
  std::thread writer([&] { sink->write(a.batch, SinkAck(&done, &a.batch)); });
  wait_blocked_on_full_queue(env);
  REQUIRE(rd_kafka_test_fatal_error(kafka->producer_for_testing(),
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                    "injected by the test") == RD_KAFKA_RESP_ERR_NO_ERROR);
  writer.join();
  REQUIRE(done.wait(2, 10s));
  CHECK(done.count(SinkOutcome::kRetry) == 1);
  mc.set_down(false);
}
