#include "plugins/sinks/kafka/offsets_topic.h"

#include <doctest/doctest.h>

#include "kafka_test_support.h"

using namespace logagent;
using namespace logagent::plugins::kafka;
using namespace logagent::plugins::kafka::testing;
using namespace std::chrono_literals;

namespace {

void produce(const std::string& bootstraps, const std::string& topic,
             const std::vector<std::pair<std::string, std::string>>& records) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  REQUIRE(rk != nullptr);
  for (const auto& [key, value] : records) {
    REQUIRE(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                              RD_KAFKA_V_KEY(key.data(), key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  REQUIRE(rd_kafka_flush(rk, 20000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
}

std::vector<Setting> settings(const MockCluster& mc) {
  return {{"bootstrap.servers", mc.bootstraps()}, {"log_level", "0"}, {"linger.ms", "5"}};
}

}  // namespace

TEST_CASE(
    "kafka sink: offsets topic: the last value of the key wins, across partitions and other keys") {
  MockCluster mc;
  mc.create_topic("offsets", 3);
  produce(mc.bootstraps(), "offsets",
          {{"h/p/kafka", "one"}, {"other", "x"}, {"h/p/kafka", "two"}, {"other", "y"}});
  auto v = read_committed_value(settings(mc), "offsets", "h/p/kafka", 20s);
  REQUIRE_MESSAGE(v.is_ok(), (v.is_ok() ? "" : v.message()));
  CHECK(v.value() == "two");
  auto none = read_committed_value(settings(mc), "offsets", "h/p/other-sink", 20s);
  REQUIRE(none.is_ok());
  CHECK(none.value().empty());
}

TEST_CASE("kafka sink: offsets topic: an empty or missing topic holds no checkpoint") {
  MockCluster mc;
  mc.create_topic("empty", 2);
  auto empty = read_committed_value(settings(mc), "empty", "k", 20s);
  REQUIRE_MESSAGE(empty.is_ok(), (empty.is_ok() ? "" : empty.message()));
  CHECK(empty.value().empty());
  auto missing = read_committed_value(settings(mc), "never-made", "k", 20s);
  REQUIRE_MESSAGE(missing.is_ok(), (missing.is_ok() ? "" : missing.message()));
  CHECK(missing.value().empty());
}
