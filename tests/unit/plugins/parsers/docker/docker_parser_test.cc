#include "plugins/parsers/docker/docker_parser.h"

#include <doctest/doctest.h>

#include <string>

#include "plugins/parsers/parser_test_support.h"

using namespace logagent;
using logagent::plugins::docker::DockerParser;
using logagent::testing::fields_json;
using logagent::testing::LineBatch;
using logagent::testing::run_parser;

namespace {

// "message {fields}", or "error: {fields}".
std::string parse_one(const std::string& line) {
  LineBatch lb({line});
  DockerParser parser;
  run_parser(parser, lb.batch);
  const std::string fields = fields_json(lb.batch, 0);
  if (lb.batch.events[0].flags & kEventParseError) return "error: " + fields;
  return std::string(lb.batch.events[0].message) + " " + fields;
}

}  // namespace

TEST_CASE("docker: a json-file line becomes its log text as the message, stream and time") {
  CHECK(parse_one(R"({"log":"172.17.0.1 - - [01/May/2024:12:34:56 +0000] \"GET / HTTP/1.1\" 200 )"
                  R"(615\n","stream":"stdout","time":"2024-05-01T12:34:56.123456789Z"})") ==
        R"(172.17.0.1 - - [01/May/2024:12:34:56 +0000] "GET / HTTP/1.1" 200 615 )"
        R"({"stream":"stdout","time":"2024-05-01T12:34:56.123456789Z"})");
  CHECK(parse_one(R"({"log":"\tat com.example.Main.main(Main.java:5)\n","stream":"stderr",)"
                  R"("time":"2024-05-01T12:34:57Z"})") ==
        "\tat com.example.Main.main(Main.java:5) "
        R"({"stream":"stderr","time":"2024-05-01T12:34:57Z"})");
}

TEST_CASE("docker: a log without the trailing newline (a split long line) is kept whole") {
  CHECK(parse_one(R"({"log":"part of a long line","stream":"stdout","time":"t"})") ==
        R"(part of a long line {"stream":"stdout","time":"t"})");
  CHECK(parse_one(R"({"log":"\n","stream":"stdout","time":"t"})") ==
        R"( {"stream":"stdout","time":"t"})");
}

TEST_CASE("docker: attrs from --log-opt labels are kept as a raw JSON field") {
  CHECK(parse_one(R"({"log":"hi\n","stream":"stdout","attrs":{"app":"web","tier":"front"},)"
                  R"("time":"t"})") ==
        R"(hi {"stream":"stdout","attrs":{"app":"web","tier":"front"},"time":"t"})");
}

TEST_CASE("docker: the message views the line unless log has escapes besides the final \\n") {
  LineBatch lb({R"({"log":"plain\n","stream":"stdout","time":"t"})",
                R"({"log":"say \"hi\"\n","stream":"stdout","time":"t"})"});
  DockerParser parser;
  CHECK(run_parser(parser, lb.batch).ok == 2);
  CHECK(lb.batch.events[0].message == "plain");
  CHECK(lb.batch.events[0].message.data() == lb.lines[0].data() + 8);
  CHECK(lb.batch.events[1].message == "say \"hi\"");
  CHECK(lb.batch.events[1].message.data() != lb.lines[1].data() + 8);
}

TEST_CASE("docker: malformed lines are errors and keep their message") {
  CHECK(parse_one("plain text") == R"(error: {"_error":"json: not a JSON object"})");
  CHECK(parse_one(R"({"log":"x\n"} trailing)").starts_with("error: "));
  CHECK(parse_one(R"({"stream":"stdout","time":"t"})") ==
        R"(error: {"_error":"docker: no string member \"log\""})");
  CHECK(parse_one(R"({"log":42,"stream":"stdout"})") ==
        R"(error: {"_error":"docker: no string member \"log\""})");
  CHECK(parse_one(R"({"log":"cut)").starts_with("error: "));
  LineBatch lb({"nope"});
  DockerParser parser;
  run_parser(parser, lb.batch);
  CHECK(lb.batch.events[0].message == "nope");
}

namespace {

using logagent::plugins::docker::DockerOptions;
using logagent::plugins::docker::DockerStage;
using logagent::testing::SourceFeed;

std::unique_ptr<Stage> make_docker_stage(uint64_t max_bytes = 1024 * 1024) {
  DockerOptions o;
  o.max_bytes.bytes = max_bytes;
  auto stage = DockerStage::create(o, PluginContext{});
  REQUIRE(stage);
  return std::move(stage.value());
}

std::string record(const std::string& log, const std::string& stream, const std::string& time) {
  return R"({"log":")" + log + R"(","stream":")" + stream + R"(","time":")" + time + R"("})";
}

// "message {fields}" per live event.
std::vector<std::string> live_events(const Batch& batch) {
  std::vector<std::string> out;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (batch.events[i].flags & kEventDropped) continue;
    out.push_back(std::string(batch.events[i].message) + " " + fields_json(batch, i));
  }
  return out;
}

}  // namespace

TEST_CASE("docker: split records are joined per stream, within a batch and across batches") {
  auto stage = make_docker_stage();
  SourceFeed feed;
  auto b1 = feed.next({record("aa", "stdout", "t1"), record("err\\n", "stderr", "t2"),
                       record("bb", "stdout", "t3")});
  stage->process(*b1);
  CHECK(live_events(*b1) == std::vector<std::string>{R"(err {"stream":"stderr","time":"t2"})"});
  CHECK(b1->carried_from == 0);
  auto b2 = feed.next({record("cc\\n", "stdout", "t4"), record("next\\n", "stdout", "t5")});
  stage->process(*b2);
  CHECK(live_events(*b2) == std::vector<std::string>{R"(aabbcc {"stream":"stdout","time":"t1"})",
                                                     R"(next {"stream":"stdout","time":"t5"})"});
  CHECK(b2->carried_from == kNothingCarried);
}

TEST_CASE("docker: a split line reaching max_bytes is emitted flagged truncated, nothing dropped") {
  auto stage = make_docker_stage(4);
  SourceFeed feed;
  auto b1 = feed.next({record("ab", "stdout", "t1"), record("cd", "stdout", "t2"),
                       record("ef\\n", "stdout", "t3")});
  stage->process(*b1);
  CHECK(live_events(*b1) == std::vector<std::string>{R"(abcd {"stream":"stdout","time":"t1"})",
                                                     R"(ef {"stream":"stdout","time":"t3"})"});
  CHECK((b1->events[0].flags & kEventTruncated) != 0);
  CHECK((b1->events[2].flags & kEventTruncated) == 0);
}

TEST_CASE("docker: a file ending in a record without \\n emits it flagged _partial") {
  auto stage = make_docker_stage();
  SourceFeed feed;
  auto b1 = feed.next({record("last words", "stdout", "t1")});
  stage->process(*b1);
  CHECK(live_events(*b1).empty());
  auto end = feed.end();
  stage->process(*end);
  CHECK(live_events(*end) ==
        std::vector<std::string>{R"(last words {"stream":"stdout","time":"t1","_partial":true})"});
}
