#include "plugins/parsers/logfmt/logfmt_parser.h"

#include <doctest/doctest.h>

#include <string>

#include "plugins/parsers/parser_test_support.h"

using namespace logagent;
using logagent::plugins::logfmt::LogfmtParser;
using logagent::testing::fields_json;
using logagent::testing::LineBatch;
using logagent::testing::run_parser;

namespace {

std::string parse_one(const std::string& line) {
  LineBatch lb({line});
  LogfmtParser parser;
  run_parser(parser, lb.batch);
  const std::string fields = fields_json(lb.batch, 0);
  if (lb.batch.events[0].flags & kEventParseError) return "error: " + fields;
  return fields;
}

}  // namespace

TEST_CASE("logfmt: a Heroku router line becomes string fields") {
  CHECK(parse_one(R"(at=info method=GET path="/users?page=2&sort=name" host=myapp.herokuapp.com )"
                  R"(request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" )"
                  R"(dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https)") ==
        R"({"at":"info","method":"GET","path":"/users?page=2&sort=name",)"
        R"("host":"myapp.herokuapp.com","request_id":"8601b555-6a83-4c12-8269-97c8e32cdb22",)"
        R"("fwd":"204.204.204.204","dyno":"web.1","connect":"1ms","service":"18ms",)"
        R"("status":"200","bytes":"13","protocol":"https"})");
}

TEST_CASE("logfmt: Go kit and logrus lines, with quoted values and '=' inside bare values") {
  CHECK(parse_one(R"(level=info ts=2019-03-27T14:02:15.123Z caller=main.go:42 )"
                  R"(msg="starting server" addr=:8080 query=a=b)") ==
        R"({"level":"info","ts":"2019-03-27T14:02:15.123Z","caller":"main.go:42",)"
        R"("msg":"starting server","addr":":8080","query":"a=b"})");
  CHECK(parse_one(R"(time="2015-03-26T01:27:38-04:00" level=debug msg="Started observing beach" )"
                  R"(animal=walrus number=8)") ==
        R"({"time":"2015-03-26T01:27:38-04:00","level":"debug","msg":"Started observing beach",)"
        R"("animal":"walrus","number":"8"})");
}

TEST_CASE("logfmt: quoted values unescape \\\" \\\\ \\n \\t and keep other escapes") {
  LineBatch lb({R"(msg="say \"hi\" \\ now\n\tdone \x" plain="no escapes" last=1)"});
  LogfmtParser parser;
  run_parser(parser, lb.batch);
  const auto fields = fields_of(lb.batch, 0);
  REQUIRE(fields.size() == 3);
  CHECK(fields[0].value == "say \"hi\" \\ now\n\tdone \\x");
  CHECK(fields[1].value == "no escapes");
  CHECK(fields[1].value.data() > lb.batch.events[0].message.data());  // a view, not a copy
  CHECK(fields[2].value == "1");
}

TEST_CASE("logfmt: bare keys are true, empty values are empty strings") {
  CHECK(parse_one("debug level=warn verbose empty= q=\"\"") ==
        R"({"debug":true,"level":"warn","verbose":true,"empty":"","q":""})");
}

TEST_CASE("logfmt: separators may be tabs or a trailing CR; keyless values are skipped") {
  CHECK(parse_one("a=1\tb=2 =orphan  c=3\r") == R"({"a":"1","b":"2","c":"3"})");
}

TEST_CASE("logfmt: an unclosed quote takes the rest of the line") {
  CHECK(parse_one(R"(a=1 msg="never closed b=2)") == R"({"a":"1","msg":"never closed b=2"})");
  CHECK(parse_one(R"(a="ends in backslash\)") == R"({"a":"ends in backslash\\"})");
}

TEST_CASE("logfmt: text without any key=value pair is a parse error") {
  CHECK(parse_one("just some free text") == R"(error: {"_error":"logfmt: no key=value pair"})");
  CHECK(parse_one("") == R"(error: {"_error":"logfmt: no key=value pair"})");
  CHECK(parse_one("=== ---") == R"(error: {"_error":"logfmt: no key=value pair"})");
  // One pair is enough: the rest are bare keys.
  CHECK(parse_one("GET /index.html status=200") ==
        R"({"GET":true,"/index.html":true,"status":"200"})");
}

TEST_CASE("logfmt: invalid UTF-8 is kept as bytes and the json output stays valid") {
  LineBatch lb({"msg=caf\xE9 ok=1"});
  LogfmtParser parser;
  run_parser(parser, lb.batch);
  CHECK(fields_of(lb.batch, 0)[0].value == "caf\xE9");
  CHECK(fields_json(lb.batch, 0) == "{\"msg\":\"caf\xEF\xBF\xBD\",\"ok\":\"1\"}");
}
