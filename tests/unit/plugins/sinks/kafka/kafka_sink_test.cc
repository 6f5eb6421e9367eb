#include "plugins/sinks/kafka/kafka_sink.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <zstd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "kafka_test_support.h"
#include "plugins/common/field_edit.h"

using namespace logagent;
using namespace logagent::plugins::kafka;
using namespace logagent::plugins::kafka::testing;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> numbered(const std::string& tag, int n, size_t pad = 20) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(tag + "-" + std::to_string(i) + std::string(pad, 'x'));
  return out;
}

}  // namespace

TEST_CASE("kafka sink: a batch is acknowledged once every message is delivered, in order") {
  MockCluster mc;
  mc.create_topic("t1");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t1");
  o.format = KafkaFormat::kRaw;
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch a("/logs/a.log", numbered("a", 500));
  TestBatch b("/logs/a.log", numbered("b", 300));
  b.batch.events[7].flags |= kEventDropped;  // skipped by the sink, still acknowledged
  sink->write(a.batch, SinkAck(&done, &a.batch));
  sink->write(b.batch, SinkAck(&done, &b.batch));
  REQUIRE(done.wait(2));
  CHECK(done.ok_count() == 2);
  const auto got = consume(mc.bootstraps(), "t1", 799);
  REQUIRE(got.size() == 799);
  CHECK(got[0] == a.lines[0]);
  CHECK(got[499] == a.lines[499]);
  CHECK(got[500] == b.lines[0]);
  CHECK(got[507] == b.lines[8]);
  CHECK(sink->flush(std::chrono::steady_clock::now() + 1s).is_ok());
}

TEST_CASE("kafka sink: json format sends one object per event") {
  MockCluster mc;
  mc.create_topic("t-json");
  SinkEnv env;
  auto sink = make_sink(options(mc.bootstraps(), "t-json"), env);
  Completions done;
  TestBatch a("/logs/q\"x.log", {"hello \"world\"", "line\ttwo"});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  const auto got = consume(mc.bootstraps(), "t-json", 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].find(R"("file":"/logs/q\"x.log","offset":0,"message":"hello \"world\""})") !=
        std::string::npos);
  CHECK(got[1].find(R"("message":"line\ttwo")") != std::string::npos);
}

TEST_CASE("kafka sink: batch mode sends one zstd message with its headers") {
  MockCluster mc;
  mc.create_topic("t-batch");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-batch");
  o.mode = KafkaMode::kBatch;
  o.format = KafkaFormat::kRaw;
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch a("/logs/a.log", numbered("z", 1000));
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);
  const auto got = consume(mc.bootstraps(), "t-batch", 1);
  REQUIRE(got.size() == 1);
  std::string plain(ZSTD_getFrameContentSize(got[0].data(), got[0].size()), '\0');
  REQUIRE(ZSTD_decompress(plain.data(), plain.size(), got[0].data(), got[0].size()) ==
          plain.size());
  std::string want;
  for (const auto& l : a.lines) want += l + "\n";
  CHECK(plain == want);
}

TEST_CASE("kafka sink: retriable produce errors are retried without loss") {
  MockCluster mc;
  mc.create_topic("t-retry");
  SinkEnv env;
  auto sink = make_sink(options(mc.bootstraps(), "t-retry"), env);
  rd_kafka_mock_push_request_errors(
      mc.get(), kProduceApiKey, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
  Completions done;
  TestBatch a("/logs/a.log", numbered("r", 200));
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);
  CHECK(consume(mc.bootstraps(), "t-retry", 200).size() >= 200);
}

TEST_CASE("kafka sink: a message that times out is produced again, not dropped") {
  MockCluster mc;
  mc.create_topic("t-timeout");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-timeout");
  o.message_timeout.value = 300ms;
  auto sink = make_sink(o, env);
  // Let the producer learn the metadata, then take the broker away.
  Completions done;
  TestBatch warm("/logs/a.log", numbered("w", 1));
  sink->write(warm.batch, SinkAck(&done, &warm.batch));
  REQUIRE(done.wait(1));
  mc.set_down(true);
  TestBatch a("/logs/a.log", numbered("t", 50));
  sink->write(a.batch, SinkAck(&done, &a.batch));
  std::this_thread::sleep_for(1500ms);  // several timeouts and re-produces
  CHECK(done.count() == 1);
  mc.set_down(false);
  REQUIRE(done.wait(2, 30s));
  CHECK(done.ok_count() == 2);
  sink.reset();  // publishes the metrics
  CHECK(env.metric("logagent_kafka_retries_total") >= 50);
  CHECK(env.metric("logagent_kafka_errors_total", {{"reason", "_MSG_TIMED_OUT"}}) >= 50);
  const auto got = consume(mc.bootstraps(), "t-timeout", 51);
  CHECK(got.size() >= 51);
}

TEST_CASE("kafka sink: a permanent failure dead-letters the events and acknowledges the batch") {
  MockCluster mc;
  mc.create_topic("t-dead");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-dead");
  o.format = KafkaFormat::kRaw;
  o.idempotence = false;  // the mock fails the whole request; keep the test about the sink
  o.acks = KafkaAcks::kOne;
  o.properties.values["message.max.bytes"] = "2000";
  auto sink = make_sink(o, env);
  Completions done;
  // One line too large for message.max.bytes (refused by produce itself)...
  TestBatch big("/logs/big.log", {"small-1", std::string(5000, 'B'), "small-2"});
  sink->write(big.batch, SinkAck(&done, &big.batch));
  REQUIRE(done.wait(1));
  // ...and a batch the broker refuses (not authorized).
  rd_kafka_mock_push_request_errors(mc.get(), kProduceApiKey, 1,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  TestBatch denied("/logs/denied.log", {"denied-1", "denied-2"});
  sink->write(denied.batch, SinkAck(&done, &denied.batch));
  REQUIRE(done.wait(2));
  CHECK(done.ok_count() == 2);
  sink.reset();
  const std::string dlq = read_file(env.data_dir / "p.kafka.deadletter.ndjson");
  CHECK(dlq.find(R"("reason":"MSG_SIZE_TOO_LARGE")") != std::string::npos);
  CHECK(dlq.find(R"("file":"/logs/big.log","offset":8,"message":"BBBB)") != std::string::npos);
  CHECK(dlq.find(R"("reason":"TOPIC_AUTHORIZATION_FAILED")") != std::string::npos);
  CHECK(dlq.find(R"("message":"denied-1")") != std::string::npos);
  CHECK(dlq.find(R"("message":"denied-2")") != std::string::npos);
  CHECK(dlq.find("small-1") == std::string::npos);
  CHECK(env.metric("logagent_sink_events_dead_lettered_total") == 3);
  CHECK(env.metric("logagent_kafka_errors_total", {{"reason", "MSG_SIZE_TOO_LARGE"}}) == 1);
  const auto got = consume(mc.bootstraps(), "t-dead", 2);
  CHECK(got == std::vector<std::string>{"small-1", "small-2"});
}

TEST_CASE("kafka sink: with dead_letter off a permanent failure rejects the batch") {
  MockCluster mc;
  mc.create_topic("t-nodlq");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-nodlq");
  o.dead_letter = false;
  o.properties.values["message.max.bytes"] = "2000";
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch big("/logs/big.log", {std::string(5000, 'B')});
  sink->write(big.batch, SinkAck(&done, &big.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 0);
  CHECK(done.count(SinkOutcome::kRejected) == 1);  // the pipeline stops loudly: no silent freeze
  CHECK_FALSE(std::filesystem::exists(env.data_dir / "p.kafka.deadletter.ndjson"));
}

TEST_CASE("kafka sink: a full producer queue blocks the writer until Kafka drains it") {
  MockCluster mc;
  mc.create_topic("t-full");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-full");
  o.queue_events = 10;
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch warm("/logs/a.log", numbered("w", 1));
  sink->write(warm.batch, SinkAck(&done, &warm.batch));
  REQUIRE(done.wait(1));
  mc.set_down(true);
  TestBatch a("/logs/a.log", numbered("q", 100));
  std::atomic<bool> returned{false};
  std::thread writer([&] {
    sink->write(a.batch, SinkAck(&done, &a.batch));
    returned = true;
  });
  std::this_thread::sleep_for(700ms);
  CHECK_FALSE(returned.load());  // backpressure: the lane is held
  mc.set_down(false);
  writer.join();
  CHECK(returned.load());
  REQUIRE(done.wait(2));
  CHECK(done.ok_count() == 2);
  sink.reset();
  CHECK(env.metric("logagent_kafka_queue_full_total") > 0);
  CHECK(consume(mc.bootstraps(), "t-full", 101).size() >= 101);
}

TEST_CASE("kafka sink: with headers, a full producer queue holds the writer and loses nothing") {
  MockCluster mc;
  mc.create_topic("t-full-headers");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-full-headers");
  o.format = KafkaFormat::kRaw;
  o.queue_events = 10;
  o.headers["src"] = "{file_name}";
  auto sink = make_sink(o, env);
  Completions done;
  mc.set_down(true);
  TestBatch a("/logs/a.log", numbered("h", 40));  // 40 messages for a queue of 10
  std::thread writer([&] { sink->write(a.batch, SinkAck(&done, &a.batch)); });
  mc.set_down(false);
  writer.join();
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);
  sink.reset();
  CHECK(env.metric("logagent_kafka_queue_full_total") > 0);
  const auto got = consume_messages(mc.bootstraps(), "t-full-headers", 40);
  REQUIRE(got.size() == 40);
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].payload == a.lines[i]);  // in order
    CHECK(got[i].headers.at("src") == "a.log");
  }
}

TEST_CASE("kafka sink: the shutdown abort fails what is still undelivered") {
  MockCluster mc;
  mc.create_topic("t-abort");
  SinkEnv env;
  auto sink = make_sink(options(mc.bootstraps(), "t-abort"), env);
  Completions done;
  TestBatch warm("/logs/a.log", numbered("w", 1));
  sink->write(warm.batch, SinkAck(&done, &warm.batch));
  REQUIRE(done.wait(1));
  mc.set_down(true);
  TestBatch a("/logs/a.log", numbered("x", 20));
  sink->write(a.batch, SinkAck(&done, &a.batch));
  CHECK_FALSE(sink->flush(std::chrono::steady_clock::now() + 300ms).is_ok());
  env.abort.request_stop();
  REQUIRE(done.wait(2, 5s));
  CHECK(done.ok_count() == 1);  // only the warm-up batch
  mc.set_down(false);
}

TEST_CASE("kafka sink: lines of one file share a partition; different files may not") {
  MockCluster mc;
  mc.create_topic("t-part", 4);
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-part");
  o.format = KafkaFormat::kRaw;
  auto sink = make_sink(o, env);
  Completions done;
  std::vector<std::unique_ptr<TestBatch>> batches;
  for (int f = 0; f < 8; ++f) {
    for (int k = 0; k < 3; ++k) {
      batches.push_back(std::make_unique<TestBatch>(fmt::format("/logs/f{}.log", f),
                                                    numbered(fmt::format("f{}", f), 10)));
      sink->write(batches.back()->batch, SinkAck(&done, &batches.back()->batch));
    }
  }
  REQUIRE(done.wait(batches.size()));
  size_t total = 0;
  std::set<std::string> files_seen;
  for (int32_t p = 0; p < 4; ++p) {
    std::set<std::string> files;
    for (const auto& m : consume(mc.bootstraps(), "t-part", 240, p, 1500ms)) {
      files.insert(m.substr(0, m.find('-')));
      ++total;
    }
    for (const auto& f : files) CHECK(files_seen.insert(f).second);  // a file in one partition
  }
  CHECK(total == 240);
  CHECK(files_seen.size() == 8);
}

TEST_CASE("kafka sink: topic, key and headers rendered per event from its fields") {
  MockCluster mc;
  mc.create_topic("logs-billing");
  mc.create_topic("logs-search");
  mc.create_topic("logs-other");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "logs-{field.app:-other}");
  o.format = KafkaFormat::kRaw;
  o.key = "{field.user}";
  o.headers["level"] = "{field.level:-info}";
  o.headers["src"] = "{file_name}";
  auto sink = make_sink(o, env);
  Completions done;
  // Apps interleave: billing, search, billing, (none), search, ...; users u0..u4.
  TestBatch a("/logs/a.log", numbered("e", 50));
  const char* apps[] = {"billing", "search", "billing", nullptr, "search"};
  const char* users[] = {"u0", "u1", "u2", "u3", "u4"};
  for (size_t i = 0; i < a.batch.events.size(); ++i) {
    if (apps[i % 5] != nullptr) append_event_field(a.batch, i, Field{"app", apps[i % 5]});
    append_event_field(a.batch, i, Field{"user", users[i % 5]});
    if (i % 2 == 0) append_event_field(a.batch, i, Field{"level", "error"});
  }
  a.batch.events[3].flags |= kEventDropped;  // an "other" event that is dropped
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);
  auto check_topic = [&](const std::string& topic, size_t want, std::vector<size_t> mods) {
    const auto got = consume_messages(mc.bootstraps(), topic, want);
    REQUIRE(got.size() == want);
    size_t k = 0;
    for (size_t i = 0; i < a.lines.size(); ++i) {
      if (i == 3 || std::find(mods.begin(), mods.end(), i % 5) == mods.end()) continue;
      REQUIRE(k < got.size());
      CHECK(got[k].payload == a.lines[i]);  // in order within the topic
      CHECK(got[k].key == users[i % 5]);
      CHECK(got[k].headers.at("level") == (i % 2 == 0 ? "error" : "info"));
      CHECK(got[k].headers.at("src") == "a.log");
      ++k;
    }
    CHECK(k == want);
  };
  check_topic("logs-billing", 20, {0, 2});
  check_topic("logs-search", 20, {1, 4});
  check_topic("logs-other", 9, {3});
}

TEST_CASE("kafka sink: per-event topics beyond max_topics are dead-lettered, not lost") {
  MockCluster mc;
  mc.create_topic("t-a");
  mc.create_topic("t-b");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-{field.app:-a}");
  o.format = KafkaFormat::kRaw;
  o.max_topics = 2;
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch a("/logs/a.log", {"to-a", "to-b", "to-c", "to-a-again", "to-d"});
  const char* apps[] = {"a", "b", "c", "a", "d"};
  for (size_t i = 0; i < 5; ++i) append_event_field(a.batch, i, Field{"app", apps[i]});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);
  CHECK(consume(mc.bootstraps(), "t-a", 2) == std::vector<std::string>{"to-a", "to-a-again"});
  CHECK(consume(mc.bootstraps(), "t-b", 1) == std::vector<std::string>{"to-b"});
  sink.reset();
  const std::string dlq = read_file(env.data_dir / "p.kafka.deadletter.ndjson");
  CHECK(dlq.find(R"("reason":"TOPIC_EXCEPTION")") != std::string::npos);
  CHECK(dlq.find(R"("message":"to-c")") != std::string::npos);
  CHECK(dlq.find(R"("message":"to-d")") != std::string::npos);
  CHECK(env.metric("logagent_sink_events_dead_lettered_total") == 2);
}

TEST_CASE("kafka sink: a fatal producer error re-creates the producer; open batches answer retry") {
  MockCluster mc;
  mc.create_topic("t-fatal");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-fatal");
  o.format = KafkaFormat::kRaw;
  auto sink = make_sink(o, env);
  auto* kafka = dynamic_cast<KafkaSink*>(sink.get());
  REQUIRE(kafka != nullptr);
  Completions done;
  TestBatch a("/logs/a.log", numbered("a", 10));
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.count(SinkOutcome::kDelivered) == 1);
  // B cannot be delivered (broker down) when the producer fails for good.
  mc.set_down(true);
  TestBatch b("/logs/a.log", numbered("b", 10));
  sink->write(b.batch, SinkAck(&done, &b.batch));
  REQUIRE(rd_kafka_test_fatal_error(kafka->producer_for_testing(),
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                    "injected by the test") == RD_KAFKA_RESP_ERR_NO_ERROR);
  REQUIRE(done.wait(2));
  CHECK(done.count(SinkOutcome::kRetry) == 1);  // not a frozen batch: the pipeline writes it again
  mc.set_down(false);
  // The pipeline's retry: B again (and C) go to the new producer once it exists.
  TestBatch c("/logs/a.log", numbered("c", 10));
  bool b_delivered = false;
  for (int attempt = 0; attempt < 400 && !b_delivered; ++attempt) {
    const size_t before = done.count();
    sink->write(b.batch, SinkAck(&done, &b.batch));
    REQUIRE(done.wait(before + 1));
    b_delivered = done.count(SinkOutcome::kDelivered) == 2;
    if (!b_delivered) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(b_delivered);
  const size_t before_c = done.count();
  sink->write(c.batch, SinkAck(&done, &c.batch));
  REQUIRE(done.wait(before_c + 1));
  CHECK(done.count(SinkOutcome::kDelivered) == 3);
  std::vector<std::string> want = numbered("a", 10);
  for (auto& s : numbered("b", 10)) want.push_back(s);
  for (auto& s : numbered("c", 10)) want.push_back(s);
  const std::vector<std::string> got =
      consume(mc.bootstraps(), "t-fatal", want.size() + 10, 0, std::chrono::seconds(3));
  std::string shown;
  for (const auto& g : got) shown += g.substr(0, 6) + " ";
  INFO("consumed: " << shown);
  CHECK(got == want);
  CHECK(env.registry->render().find(
            "logagent_kafka_producer_recreated_total{pipeline=\"p\",sink=\"kafka\"} 1") !=
        std::string::npos);
}
