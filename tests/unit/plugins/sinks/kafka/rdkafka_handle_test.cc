// librdkafka handles without a broker: configurations, producer creation and the topic cache.
// The producer tests start a librdkafka client: they are named "kafka sink: ..." so that the TSan
// run (tests/run.sh) leaves them out.
#include "plugins/sinks/kafka/rdkafka_handle.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace logagent::plugins::kafka;

namespace {

// A producer that never connects anywhere (nothing listens on port 1).
std::unique_ptr<RdKafkaProducer> idle_producer() {
  auto conf = make_conf({{"bootstrap.servers", "127.0.0.1:1"}, {"log_level", "0"}});
  REQUIRE(conf.is_ok());
  auto p = RdKafkaProducer::create(std::move(conf.value()));
  REQUIRE(p.is_ok());
  return std::move(p.value());
}

}  // namespace

TEST_CASE("rdkafka handle: a configuration applies every setting, the first bad one is named") {
  auto ok = make_conf({{"linger.ms", "7"}, {"client.id", "x"}});
  REQUIRE(ok.is_ok());
  char value[64];
  size_t size = sizeof(value);
  REQUIRE(rd_kafka_conf_get(ok->get(), "linger.ms", value, &size) == RD_KAFKA_CONF_OK);
  CHECK(std::string(value) == "7");
  auto bad = make_conf({{"linger.ms", "7"}, {"no.such.property", "1"}, {"acks", "nonsense"}});
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.message().find("librdkafka setting no.such.property=1: ") == 0);
}

TEST_CASE("rdkafka handle: the default topic configuration is made once when missing") {
  auto conf = make_conf({});
  REQUIRE(conf.is_ok());
  rd_kafka_topic_conf_t* tc = default_topic_conf(conf->get());
  REQUIRE(tc != nullptr);
  CHECK(default_topic_conf(conf->get()) == tc);
}

TEST_CASE("kafka sink: rdkafka handle: topics are cached by name, up to max_topics") {
  auto p = idle_producer();
  std::string error;
  rd_kafka_topic_t* a = p->topic("a", 2, &error);
  REQUIRE(a != nullptr);
  CHECK(std::string(rd_kafka_topic_name(a)) == "a");
  CHECK(p->topic("a", 2, &error) == a);
  CHECK(p->topic("b", 2, &error) != nullptr);
  CHECK(p->topic("c", 2, &error) == nullptr);
  CHECK(error == "topic 'c': more than max_topics (2) distinct topics");
  CHECK(p->topic("a", 2, &error) == a);  // known names still resolve at the limit
}

TEST_CASE("kafka sink: rdkafka handle: a producer that cannot be made reports why") {
  // A transactional producer needs idempotence; librdkafka refuses the pair when creating it.
  auto conf = make_conf({{"transactional.id", "t"}, {"enable.idempotence", "false"}});
  REQUIRE(conf.is_ok());
  auto p = RdKafkaProducer::create(std::move(conf.value()));
  REQUIRE_FALSE(p.is_ok());
  CHECK(p.message().find("cannot create the Kafka producer: ") == 0);
}
