// The kafka sink's routing (kafka_sink_route.cc) against librdkafka's mock cluster: topics
// rendered per event from fields that hostile content controls.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "kafka_test_support.h"
#include "plugins/common/field_edit.h"
#include "plugins/sinks/kafka/kafka_sink.h"

using namespace logagent;
using namespace logagent::plugins::kafka;
using namespace logagent::plugins::kafka::testing;

namespace {

// Routes the default logger into a string while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  size_t count(const std::string& what) const {
    const std::string text = out_.str();
    size_t n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

TEST_CASE("kafka sink: topics refused beyond max_topics are logged once, not once per name") {
  MockCluster mc;
  mc.create_topic("t-a");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-{field.app:-a}");
  o.format = KafkaFormat::kRaw;
  o.max_topics = 1;
  LogCapture log;
  auto sink = make_sink(o, env);
  Completions done;
  // Every event names its own topic (a request id, say): the sink remembers which refusals it
  // logged, and that memory must not grow with the names -- max_topics exists to bound it.
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) lines.push_back("line-" + std::to_string(i));
  TestBatch a("/logs/a.log", lines);
  append_event_field(a.batch, 0, Field{"app", "a"});
  std::vector<std::string> apps;
  for (int i = 1; i < 200; ++i) apps.push_back("req" + std::to_string(i));
  for (size_t i = 1; i < 200; ++i) append_event_field(a.batch, i, Field{"app", apps[i - 1]});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);  // the refused events went to the dead-letter file
  sink.reset();
  CHECK(env.metric("logagent_sink_events_dead_lettered_total") == 199);
  CHECK(log.count("more than max_topics") == 1);
}

TEST_CASE("kafka sink: a dead letter for a refused topic names that topic and the local cause") {
  MockCluster mc;
  mc.create_topic("t-a");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-{field.app:-a}");
  o.format = KafkaFormat::kRaw;
  o.max_topics = 1;
  auto sink = make_sink(o, env);
  Completions done;
  TestBatch a("/logs/a.log", {"to-a", "to-billing"});
  append_event_field(a.batch, 0, Field{"app", "a"});
  append_event_field(a.batch, 1, Field{"app", "billing"});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);
  sink.reset();
  const std::string dlq = read_file(env.data_dir / "p.kafka.deadletter.ndjson");
  // Replayable: the topic the event was meant for, and why it was not produced (the refusal is
  // the agent's, not the broker's "Invalid topic").
  CHECK(dlq.find(R"("topic":"t-billing")") != std::string::npos);
  CHECK(dlq.find(R"("error":"refused by logagent: topic 't-billing': more than max_topics (1))") !=
        std::string::npos);
  CHECK(dlq.find("Broker:") == std::string::npos);
  CHECK(dlq.find(R"("message":"to-billing")") != std::string::npos);
  CHECK(dlq.find(R"("message":"to-a")") == std::string::npos);
}

TEST_CASE("kafka sink: events that fall back to the template's default topic pass max_topics") {
  MockCluster mc;
  mc.create_topic("t-default");
  mc.create_topic("t-b");
  SinkEnv env;
  KafkaOptions o = options(mc.bootstraps(), "t-{field.app:-default}");
  o.format = KafkaFormat::kRaw;
  o.max_topics = 1;
  auto sink = make_sink(o, env);
  Completions done;
  // t-b spends the budget; the events without the field (and one naming the default itself)
  // still reach t-default; only t-c, a name from content beyond the budget, is refused.
  TestBatch a("/logs/a.log", {"to-b", "no-app", "to-c", "named-default", "no-app-2"});
  append_event_field(a.batch, 0, Field{"app", "b"});
  append_event_field(a.batch, 2, Field{"app", "c"});
  append_event_field(a.batch, 3, Field{"app", "default"});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);
  CHECK(consume(mc.bootstraps(), "t-b", 1) == std::vector<std::string>{"to-b"});
  CHECK(consume(mc.bootstraps(), "t-default", 3) ==
        std::vector<std::string>{"no-app", "named-default", "no-app-2"});
  sink.reset();
  CHECK(env.metric("logagent_sink_events_dead_lettered_total") == 1);
}
