#include "plugins/sinks/kafka/kafka_stats.h"

#include <doctest/doctest.h>

using namespace logagent::plugins::kafka;

TEST_CASE("stats: brokers up and mean rtt, bootstrap entries ignored") {
  const char* json = R"({"name":"rdkafka#producer-1","brokers":{
    "127.0.0.1:9092/bootstrap":{"nodeid":-1,"state":"UP","rtt":{"avg":999999}},
    "127.0.0.1:9092/1":{"nodeid":1,"state":"UP","rtt":{"avg":2000,"min":10}},
    "127.0.0.1:9093/2":{"nodeid":2,"state":"UP","rtt":{"avg":4000}},
    "127.0.0.1:9094/3":{"nodeid":3,"state":"DOWN","rtt":{"avg":0}}}})";
  auto s = parse_broker_stats(json);
  REQUIRE(s);
  CHECK(s->brokers_known == 3);
  CHECK(s->brokers_up == 2);
  CHECK(s->rtt_seconds == doctest::Approx(0.003));
}

TEST_CASE("stats: all down, and garbage") {
  auto s = parse_broker_stats(R"({"brokers":{"b/1":{"nodeid":1,"state":"CONNECT"}}})");
  REQUIRE(s);
  CHECK(s->brokers_up == 0);
  CHECK(s->rtt_seconds == 0);
  CHECK_FALSE(parse_broker_stats("not json"));
  CHECK_FALSE(parse_broker_stats(R"({"name":"x"})"));
}

TEST_CASE("stats: request retries summed over the brokers, every partition's leader") {
  const char* json = R"({"brokers":{
    "127.0.0.1:9092/bootstrap":{"nodeid":-1,"state":"UP","txretries":100},
    "127.0.0.1:9092/1":{"nodeid":1,"state":"UP","txretries":3},
    "127.0.0.1:9093/2":{"nodeid":2,"state":"DOWN","txretries":4}},
    "topics":{"logs":{"topic":"logs","partitions":{
      "0":{"partition":0,"leader":2},"1":{"partition":1,"leader":-1},
      "-1":{"partition":-1,"leader":-1}}}}})";
  auto s = parse_broker_stats(json);
  REQUIRE(s);
  CHECK(s->request_retries == 7);
  REQUIRE(s->leaders.size() == 2);
  CHECK(s->leaders[0].topic == "logs");
  CHECK(s->leaders[0].partition == 0);
  CHECK(s->leaders[0].broker == 2);
  CHECK(s->leaders[1].partition == 1);
  CHECK(s->leaders[1].broker == -1);
}
