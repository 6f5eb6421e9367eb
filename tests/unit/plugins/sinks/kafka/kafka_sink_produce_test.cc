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

namespace {

// Every message of `topic`, partition by partition.
std::vector<std::vector<Consumed>> consume_partitions(const MockCluster& mc,
                                                      const std::string& topic, int partitions,
                                                      size_t want) {
  std::vector<std::vector<Consumed>> out;
  for (int32_t p = 0; p < partitions; ++p) {
    out.push_back(consume_messages(mc.bootstraps(), topic, want, p, 1500ms));
  }
  return out;
}

// The partition holding `lines` in order and nothing else of them, or -1.
int partition_holding(const std::vector<std::vector<Consumed>>& parts,
                      const std::vector<std::string>& lines) {
  int found = -1;
  for (size_t p = 0; p < parts.size(); ++p) {
    std::vector<std::string> mine;
    for (const Consumed& c : parts[p]) {
      if (std::find(lines.begin(), lines.end(), c.payload) != lines.end())
        mine.push_back(c.payload);
    }
    if (mine.empty()) continue;
    if (found != -1 || mine != lines) return -1;
    found = static_cast<int>(p);
  }
  return found;
}

}  // namespace

TEST_CASE(
    "kafka sink: record mode sends a batch's lines to the one partition of its file, in order, "
    "from the first batch of a fresh producer on") {
  MockCluster mc;
  mc.create_topic("t-run-part", 4);
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-run-part");
  o.format = KafkaFormat::kRaw;
  auto sink = make_sink(o, env);
  Completions done;
  // The first batch is written before the producer has the topic's metadata.
  TestBatch a("/logs/a.log", numbered("a", 200));
  TestBatch b("/logs/b.log", numbered("b", 200));
  TestBatch c("/logs/c.log", numbered("c", 200));
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  sink->write(b.batch, SinkAck(&done, &b.batch));
  sink->write(c.batch, SinkAck(&done, &c.batch));
  REQUIRE(done.wait(3));
  CHECK(done.ok_count() == 3);
  const auto parts = consume_partitions(mc, "t-run-part", 4, 600);
  size_t total = 0;
  for (const auto& p : parts) total += p.size();
  CHECK(total == 600);
  CHECK(partition_holding(parts, a.lines) >= 0);
  CHECK(partition_holding(parts, b.lines) >= 0);
  CHECK(partition_holding(parts, c.lines) >= 0);
}

TEST_CASE(
    "kafka sink: with a key, a batch held by a full queue midway still goes whole to its key's "
    "partition, in order, with its key") {
  MockCluster mc;
  mc.create_topic("t-run-key", 4);
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-run-key");
  o.format = KafkaFormat::kRaw;
  o.key = "{file_name}";
  o.queue_events = 10;
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch warm("/logs/k.log", numbered("w", 1));
  sink->write(warm.batch, SinkAck(&done, &warm.batch));
  REQUIRE(done.wait(1));
  mc.set_down(true);
  TestBatch a("/logs/k.log", numbered("k", 100));  // 100 messages for a queue of 10
  std::thread writer([&] { sink->write(a.batch, SinkAck(&done, &a.batch)); });
  wait_blocked_on_full_queue(env);
  mc.set_down(false);
  writer.join();
  REQUIRE(done.wait(2));
  CHECK(done.ok_count() == 2);
  const auto parts = consume_partitions(mc, "t-run-key", 4, 101);
  std::vector<std::string> all = warm.lines;
  all.insert(all.end(), a.lines.begin(), a.lines.end());
  const int p = partition_holding(parts, all);
  REQUIRE(p >= 0);
  for (const Consumed& m : parts[static_cast<size_t>(p)]) CHECK(m.key == "k.log");
}

namespace {

// Waits until the sink has counted an error saying the topic is unknown (published every
// ~100 ms), or `done` has an answer.
void wait_unknown_topic(const SinkEnv& env, Completions& done) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (env.metric("logagent_kafka_errors_total", {{"reason", "_UNKNOWN_TOPIC"}}) +
                 env.metric("logagent_kafka_errors_total", {{"reason", "UNKNOWN_TOPIC_OR_PART"}}) ==
             0 &&
         done.count() == 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(10ms);
  }
}

KafkaOptions quick_metadata(const std::string& bootstraps, const std::string& topic) {
  KafkaOptions o = options(bootstraps, topic);
  o.format = KafkaFormat::kRaw;
  o.properties.values.insert_or_assign("topic.metadata.refresh.interval.ms", "100");
  o.properties.values.insert_or_assign("topic.metadata.propagation.max.ms", "100");
  return o;
}

}  // namespace

TEST_CASE("kafka sink: a topic unknown for a moment (deleted, created again) loses nothing") {
  MockCluster mc;
  mc.create_topic("t-gone");
  // The cluster says the topic does not exist (deleted, not yet created again): librdkafka fails
  // its messages with _UNKNOWN_TOPIC. Then it exists again (auto-created): they must be
  // delivered, in order, and nothing dead-lettered.
  rd_kafka_mock_topic_set_error(mc.get(), "t-gone", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  SinkEnv env;
  auto sink = make_sink(quick_metadata(mc.bootstraps(), "t-gone"), env);
  Completions done;
  TestBatch a("/logs/a.log", numbered("g", 100));
  sink->write(a.batch, SinkAck(&done, &a.batch));
  wait_unknown_topic(env, done);
  CHECK(done.count() == 0);  // held, not dead-lettered
  rd_kafka_mock_topic_set_error(mc.get(), "t-gone", RD_KAFKA_RESP_ERR_NO_ERROR);
  REQUIRE(done.wait(1, 60s));
  CHECK(done.ok_count() == 1);
  CHECK(consume(mc.bootstraps(), "t-gone", 100) == numbered("g", 100));
  sink.reset();
  CHECK(env.metric("logagent_sink_events_dead_lettered_total") == 0);
}

TEST_CASE("kafka sink: a topic that stays unknown past unknown_topic_timeout is dead-lettered") {
  MockCluster mc;
  mc.create_topic("t-never");
  rd_kafka_mock_topic_set_error(mc.get(), "t-never", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  SinkEnv env;
  KafkaOptions o = quick_metadata(mc.bootstraps(), "t-never");
  o.unknown_topic_timeout.value = 1s;
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch a("/logs/a.log", numbered("n", 20));
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1, 60s));
  CHECK(done.ok_count() == 1);  // acknowledged: its events are in the dead-letter file
  sink.reset();
  CHECK(env.metric("logagent_sink_events_dead_lettered_total") == 20);
  const std::string dlq = read_file(env.data_dir / "p.kafka.deadletter.ndjson");
  CHECK(dlq.find(R"("reason":"_UNKNOWN_TOPIC")") != std::string::npos);
  CHECK(dlq.find(R"("message":"n-0019")") != std::string::npos);
}
