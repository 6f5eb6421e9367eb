// The kafka sink's produce-with-backpressure loop (kafka_sink_produce.cc) against librdkafka's
// mock cluster: a full queue meeting timeouts, the shutdown abort and a fatal producer error.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <set>
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
  std::this_thread::sleep_for(300ms);  // the writer fills the queue and waits
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
  std::this_thread::sleep_for(300ms);
  REQUIRE(rd_kafka_test_fatal_error(kafka->producer_for_testing(),
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                    "injected by the test") == RD_KAFKA_RESP_ERR_NO_ERROR);
  writer.join();
  REQUIRE(done.wait(2, 10s));
  CHECK(done.count(SinkOutcome::kRetry) == 1);
  mc.set_down(false);
}

TEST_CASE("kafka sink: messages that time out in a full queue keep their order") {
  MockCluster mc;
  mc.create_topic("t-full-timeout");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-full-timeout");
  o.format = EventFormat::kRaw;
  o.queue_events = 10;
  o.message_timeout.value = 200ms;
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch warm("/logs/a.log", numbered("w", 1));
  sink->write(warm.batch, SinkAck(&done, &warm.batch));
  REQUIRE(done.wait(1));
  mc.set_down(true);
  TestBatch a("/logs/a.log", numbered("a", 60));
  std::thread writer([&] { sink->write(a.batch, SinkAck(&done, &a.batch)); });
  std::this_thread::sleep_for(1500ms);  // timeouts free the queue while the writer waits
  mc.set_down(false);
  writer.join();
  REQUIRE(done.wait(2, 30s));
  CHECK(done.ok_count() == 2);
  const auto got = consume(mc.bootstraps(), "t-full-timeout", 200, 0, 5s);
  // At least once: duplicates may appear, but no line may land before one written earlier
  // that had not landed yet.
  std::vector<std::string> firsts;
  std::set<std::string> seen;
  for (const auto& g : got) {
    if (seen.insert(g).second) firsts.push_back(g);
  }
  std::string shown;
  for (const auto& g : got) shown += g + " ";
  INFO("consumed: " << shown);
  std::vector<std::string> want = numbered("w", 1);
  for (auto& s : a.lines) want.push_back(s);
  CHECK(firsts == want);
}
