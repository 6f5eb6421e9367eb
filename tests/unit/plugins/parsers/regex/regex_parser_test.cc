#include "plugins/parsers/regex/regex_parser.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "agent/metrics/metrics_registry.h"
#include "plugins/parsers/parser_test_support.h"

using namespace logagent;
using logagent::plugins::regex::compile_pattern;
using logagent::plugins::regex::RegexOptions;
using logagent::plugins::regex::RegexParser;
using logagent::plugins::regex::RegexStage;
using logagent::testing::fields_json;
using logagent::testing::LineBatch;
using logagent::testing::run_parser;

namespace {

RegexParser make_parser(const std::string& pattern, const std::string& format = "") {
  RegexOptions o;
  o.pattern = pattern;
  o.format = format;
  auto re = compile_pattern(o);
  REQUIRE_MESSAGE(re.is_ok(), (re.is_ok() ? std::string() : re.message()));
  return RegexParser(std::move(re.value()));
}

std::string parse_with(RegexParser& parser, const std::string& line) {
  LineBatch lb({line});
  run_parser(parser, lb.batch);
  const std::string fields = fields_json(lb.batch, 0);
  if (lb.batch.events[0].flags & kEventParseError) return "error: " + fields;
  return fields;
}

std::string parse_format(const std::string& format, const std::string& line) {
  RegexParser parser = make_parser("", format);
  return parse_with(parser, line);
}

}  // namespace

TEST_CASE("regex: an nginx combined access log line becomes its fields") {
  CHECK(
      parse_format("nginx",
                   R"(93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 )"
                   R"x(HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3 (0.8.16~exp12ubuntu10.21)")x") ==
      R"({"client":"93.180.71.3","ident":"-","user":"-","time":"17/May/2015:08:05:32 +0000",)"
      R"("method":"GET","path":"/downloads/product_1","protocol":"HTTP/1.1","status":"304",)"
      R"x("bytes":"0","referer":"-","user_agent":"Debian APT-HTTP/1.3 (0.8.16~exp12ubuntu10.21)"})x");
}

TEST_CASE("regex: an apache combined line, with a user and escaped quotes in the user agent") {
  CHECK(parse_format("apache",
                     R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif )"
                     R"(HTTP/1.0" 200 2326 "http://www.example.com/start.html" )"
                     R"("Mozilla/4.08 [en] (Win98; I ;Nav) \"x\"")") ==
        R"({"client":"127.0.0.1","ident":"-","user":"frank","time":"10/Oct/2000:13:55:36 -0700",)"
        R"("method":"GET","path":"/apache_pb.gif","protocol":"HTTP/1.0","status":"200",)"
        R"("bytes":"2326","referer":"http://www.example.com/start.html",)"
        R"("user_agent":"Mozilla/4.08 [en] (Win98; I ;Nav) \\\"x\\\""})");
}

TEST_CASE("regex: combined lines with a garbage request, common log format and extra fields") {
  CHECK(parse_format("nginx", R"(192.168.1.5 - - [01/May/2024:10:00:00 +0000] )"
                              R"("\x16\x03\x01\x00\xa5\x01\x00" 400 157 "-" "-")") ==
        R"({"client":"192.168.1.5","ident":"-","user":"-","time":"01/May/2024:10:00:00 +0000",)"
        R"("request":"\\x16\\x03\\x01\\x00\\xa5\\x01\\x00","status":"400","bytes":"157",)"
        R"("referer":"-","user_agent":"-"})");
  CHECK(parse_format("combined",
                     R"(10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 -)") ==
        R"({"client":"10.0.0.1","ident":"-","user":"-","time":"01/May/2024:10:00:00 +0000",)"
        R"("method":"GET","path":"/","protocol":"HTTP/1.1","status":"200","bytes":"-"})");
  CHECK(parse_format("nginx", R"(10.0.0.1 - - [t] "GET /x HTTP/2.0" 200 5 "-" "curl/8.0" 0.004)")
            .find(R"("user_agent":"curl/8.0"})") != std::string::npos);
}

TEST_CASE("regex: built-in formats match lines with invalid UTF-8") {
  const std::string line = "10.0.0.1 - - [t] \"GET /caf\xe9 HTTP/1.1\" 200 5 \"-\" \"\xff\xfe\"";
  LineBatch lb({line});
  RegexParser parser = make_parser("", "nginx");
  CHECK(run_parser(parser, lb.batch).ok == 1);
  CHECK(fields_of(lb.batch, 0)[5].value == "/caf\xe9");
}

TEST_CASE("regex: syslog RFC3164 lines, with and without PRI and pid") {
  CHECK(parse_format(
            "syslog_rfc3164",
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8") ==
        R"({"pri":"34","time":"Oct 11 22:14:15","host":"mymachine","ident":"su",)"
        R"("msg":"'su root' failed for lonvick on /dev/pts/8"})");
  CHECK(parse_format("syslog_rfc3164",
                     "Feb  5 17:32:18 web-1 sshd[1234]: Accepted publickey for root from 10.0.0.1 "
                     "port 52144 ssh2") ==
        R"({"time":"Feb  5 17:32:18","host":"web-1","ident":"sshd","pid":"1234",)"
        R"("msg":"Accepted publickey for root from 10.0.0.1 port 52144 ssh2"})");
  CHECK(parse_format("syslog_rfc3164", "not syslog at all").starts_with("error: "));
}

TEST_CASE("regex: syslog RFC5424 lines, with structured data, nil values and no message") {
  CHECK(parse_format("syslog_rfc5424",
                     R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 )"
                     R"([exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] )"
                     R"(An application event log entry...)") ==
        R"({"pri":"165","version":"1","time":"2003-10-11T22:14:15.003Z",)"
        R"("host":"mymachine.example.com","app_name":"evntslog","procid":"-","msgid":"ID47",)"
        R"("structured_data":"[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" )"
        R"(eventID=\"1011\"]","msg":"An application event log entry..."})");
  CHECK(parse_format("syslog_rfc5424",
                     "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - -") ==
        R"({"pri":"165","version":"1","time":"2003-08-24T05:14:15.000003-07:00",)"
        R"("host":"192.0.2.1","app_name":"myproc","procid":"8710","msgid":"-",)"
        R"("structured_data":"-"})");
  CHECK(parse_format("syslog_rfc5424", "<34>Oct 11 22:14:15 mymachine su: hi")
            .starts_with("error: "));
}

TEST_CASE("regex: unmatched optional groups are left out, empty matches are empty strings") {
  RegexParser parser = make_parser(R"(^(?P<a>\w+)(?: (?P<b>\d+))?(?P<c>x*)$)");
  CHECK(parse_with(parser, "word") == R"({"a":"word","c":""})");
  CHECK(parse_with(parser, "word 12xx") == R"({"a":"word","b":"12","c":"xx"})");
}

TEST_CASE("regex: fields view the line, and a line that does not match is an error") {
  LineBatch lb({"level=info", "no match here"});
  RegexParser parser = make_parser(R"(level=(?P<level>\w+))");
  const ParseCounts counts = run_parser(parser, lb.batch);
  CHECK(counts.ok == 1);
  CHECK(counts.error == 1);
  CHECK(fields_of(lb.batch, 0)[0].value.data() == lb.batch.events[0].message.data() + 6);
  CHECK(fields_json(lb.batch, 1) == R"({"_error":"regex: no match"})");

  LineBatch dropped({"nope"});
  run_parser(parser, dropped.batch, OnError::kDrop);
  CHECK((dropped.batch.events[0].flags & kEventDropped) != 0);
}

TEST_CASE("regex: hostile input against alternation completes in linear time") {
  RegexParser parser = make_parser(R"((?P<x>(a|aa|a?a)+)b)");
  LineBatch lb({std::string(1 << 20, 'a'), std::string(100000, 'a') + "b"});
  const auto start = std::chrono::steady_clock::now();
  const ParseCounts counts = run_parser(parser, lb.batch);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(counts.error == 1);
  CHECK(counts.ok == 1);
  CHECK(fields_of(lb.batch, 1)[0].value.size() == 100000);
  CHECK(took < std::chrono::seconds(20));
}

TEST_CASE("regex: the stage counts parsed and failed events, labelled by stage") {
  auto registry = std::make_shared<MetricsRegistry>();
  PluginContext ctx;
  ctx.metrics = MetricsScope(registry, {{"pipeline", "app"}});
  RegexOptions o;
  o.format = "syslog_rfc3164";
  auto stage = RegexStage::create(o, ctx);
  REQUIRE(stage);
  LineBatch lb({"Oct 11 22:14:15 host app: x", "garbage"});
  stage.value()->process(lb.batch);
  const std::string text = registry->render();
  CHECK(text.find(R"(logagent_parser_events_total{pipeline="app",result="ok",stage="regex"} 1)") !=
        std::string::npos);
  CHECK(
      text.find(R"(logagent_parser_events_total{pipeline="app",result="error",stage="regex"} 1)") !=
      std::string::npos);
}

TEST_CASE("regex: a built-in format's scanner gives the fields RE2 gives with its pattern") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nginx", R"(10.0.0.1 - - [t] "GET /x HTTP/2.0" 200 5 "-" "curl/8.0" 0.004)"},
      {"apache", R"(10.0.0.1 - - [t] "\x16\x03" 400 0)"},
      {"combined", R"(10.0.0.1 - - [t] "GET /a\" HTTP/1.1" 200 5 "-")"},
      {"syslog_rfc3164", "<13>Feb  5 17:32:18 h t[]:msg"},
      {"syslog_rfc3164", "Feb  5 17:32:18 web-1 kernel: [1.2] eth0: up"},
      {"syslog_rfc5424", R"(<13>1 - h a p m [a x="\]"][b] tail)"},
      {"syslog_rfc5424", "<13>1 - h a p m -"},
      {"syslog_rfc5424", "not syslog"},
  };
  for (const auto& c : cases) {
    // Not a structured binding: clang 14 does not capture one in CAPTURE's lambda.
    const std::string& format = c.first;
    const std::string& line = c.second;
    CAPTURE(line);
    RegexParser scanned(*plugins::regex::find_format_scanner(format));
    RegexParser re2 = make_parser("", format);
    CHECK(parse_with(scanned, line) == parse_with(re2, line));
  }
}
