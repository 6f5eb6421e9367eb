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
