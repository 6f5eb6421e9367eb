// The kafka sink's poll thread (kafka_sink_poll.cc) against librdkafka's mock cluster: what it
// publishes, and what is left of it once the sink is gone.
#include <doctest/doctest.h>

#include <thread>

#include "kafka_test_support.h"
#include "plugins/sinks/kafka/kafka_sink.h"

using namespace logagent;
using namespace logagent::plugins::kafka;
using namespace logagent::plugins::kafka::testing;
using namespace std::chrono_literals;

TEST_CASE("kafka sink: once the sink is gone its pending and in-flight gauges read 0") {
  // A reload that removes a kafka sink during an outage: nothing publishes those series any
  // more, and batches the sink gave up must not be exported as pending until a restart.
  MockCluster mc;
  mc.create_topic("t-gone");
  SinkEnv env;
  auto sink = make_sink(options(mc.bootstraps(), "t-gone"), env);
  const auto gauge = [&](const char* name) {
    return Gauge(env.registry->gauge(name, "", {{"pipeline", "p"}, {"sink", "kafka"}})).value();
  };
  Completions done;
  mc.set_down(true);
  TestBatch a("/logs/a.log", {"one", "two"});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  bool published = false;
  for (int i = 0; i < 3000 && !published; ++i) {  // the poll thread publishes every 100 ms
    published = gauge("logagent_kafka_batches_pending") == 1 &&
                gauge("logagent_kafka_messages_in_flight") == 2;
    if (!published) std::this_thread::sleep_for(10ms);
  }
  REQUIRE(published);
  sink.reset();  // gives the batch up
  REQUIRE(done.wait(1));
  CHECK(done.count(SinkOutcome::kRetry) == 1);
  CHECK(gauge("logagent_kafka_batches_pending") == 0);
  CHECK(gauge("logagent_kafka_messages_in_flight") == 0);
  mc.set_down(false);
}
