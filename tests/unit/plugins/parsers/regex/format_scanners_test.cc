#include "plugins/parsers/regex/format_scanners.h"

#include <doctest/doctest.h>
#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/parsers/regex/regex_formats.h"

using logagent::plugins::regex::combined_scanner;
using logagent::plugins::regex::find_format_scanner;
using logagent::plugins::regex::find_regex_format;
using logagent::plugins::regex::FormatScanner;
using logagent::plugins::regex::syslog_rfc3164_scanner;
using logagent::plugins::regex::syslog_rfc5424_scanner;

namespace {

// The groups the scanner of `format` finds in `line`, as `name="value"` in group order, or
// "no match".
std::string scan(std::string_view format, std::string_view line) {
  const FormatScanner* scanner = find_format_scanner(format);
  REQUIRE(scanner != nullptr);
  std::vector<std::string_view> slots(scanner->groups.size());
  if (!scanner->scan(line, slots.data())) return "no match";
  std::string out;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].data() == nullptr) continue;
    CHECK(slots[i].data() >= line.data());
    CHECK(slots[i].data() + slots[i].size() <= line.data() + line.size());
    // Appends, not "literal" + std::string&&: g++ 12 -O3 reports a false -Wrestrict on that.
    if (!out.empty()) out += ' ';
    out.append(scanner->groups[i]).append("=\"").append(slots[i]).append("\"");
  }
  return out;
}

std::unique_ptr<RE2> compile(std::string_view format) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  const std::string_view pattern = find_regex_format(format);
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  REQUIRE(re->ok());
  return re;
}

// Where the scanner of `format` and RE2 with its pattern (as regex_parser.cc calls it) differ on
// `line`, or "" when they agree on the match and on every group's presence, bytes and position.
std::string difference(std::string_view format, std::string_view line) {
  const FormatScanner& scanner = *find_format_scanner(format);
  const auto re = compile(format);
  const auto n = static_cast<size_t>(re->NumberOfCapturingGroups());
  REQUIRE(n == scanner.groups.size());
  std::vector<re2::StringPiece> pieces(n);
  std::vector<RE2::Arg> args;
  std::vector<const RE2::Arg*> arg_ptrs;
  for (size_t i = 0; i < n; ++i) args.emplace_back(&pieces[i]);
  for (size_t i = 0; i < n; ++i) arg_ptrs.push_back(&args[i]);
  const bool expected = RE2::PartialMatchN(re2::StringPiece(line.data(), line.size()), *re,
                                           arg_ptrs.data(), static_cast<int>(n));
  std::vector<std::string_view> slots(n);
  const bool got = scanner.scan(line, slots.data());
  if (got != expected) return expected ? "scanner: no match" : "scanner: match";
  if (!expected) return "";
  for (size_t i = 0; i < n; ++i) {
    const bool same = slots[i].data() == pieces[i].data() && slots[i].size() == pieces[i].size();
    if (!same) return std::string("group ").append(scanner.groups[i]);
  }
  return "";
}

constexpr const char* kFormats[] = {"nginx", "syslog_rfc3164", "syslog_rfc5424"};

// Lines of every shape the unit tests below name, for the table check against RE2.
const std::vector<std::string>& sample_lines() {
  static const std::vector<std::string> lines = {
      R"(93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 )"
      R"x("-" "Debian APT-HTTP/1.3 (0.8.16~exp12ubuntu10.21)")x",
      R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 )"
      R"("http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav) \"x\"")",
      R"(192.168.1.5 - - [01/May/2024:10:00:00 +0000] "\x16\x03\x01\x00" 400 157 "-" "-")",
      R"(10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 -)",
      R"(10.0.0.1 - - [t] "GET /x HTTP/2.0" 200 5 "-" "curl/8.0" 0.004 0.003)",
      R"(10.0.0.1 - - [t] "GET /a\" HTTP/1.1" 200 5 "-" "-")",
      R"(10.0.0.1 - - [t] "" 400 0 "-" "-")",
      R"(10.0.0.1 - - [t] "GET /" 200 12345 "-")",
      "10.0.0.1 \xff\xfe - [t] \"GET /caf\xe9 HTTP/1.1\" 200 5 \"\x80\" \"\xff\"",
      "10.0.0.1\v - - [t] \"GET / HTTP/1.1\" 200 5",
      "10.0.0.1\t- - [t] \"GET / HTTP/1.1\" 200 5",
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
      "Feb  5 17:32:18 web-1 sshd[1234]: Accepted publickey for root",
      "Feb  5 17:32:18 web-1 kernel: [12345.678901] eth0: link up",
      "Feb  5 17:32:18 web-1 a message without a tag",
      "<13>Feb  5 17:32:18 h t[]:msg",
      "<13>Feb  5 17:32:18 h t[a b]: msg",
      "<13>Feb  5 17:32:18 h t[1]x: msg",
      "<1234>Feb  5 17:32:18 h t: m",
      "<13>Feb  5 17:32:18 h t: m\nnext",
      "<13>Feb  5 17:32:18 h t[\xe9(]: \xff",
      R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 )"
      R"([exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An event)",
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - -",
      "<13>1 - - - - - - ",
      R"(<13>1 - h a p m [a x="\]"][b y="1"] tail)",
      "<13>1 - h a p m [a][b",
      "<13>1 - h a p m [a\nb]",
      "<13>1 - h a p m - x\ny",
      "<13>123 - h a p m - x",
      "<13>1 - h a p m -x",
  };
  return lines;
}

}  // namespace

TEST_CASE("format scanners: every built-in format has a scanner whose groups are the pattern's") {
  for (const char* format : {"nginx", "apache", "combined", "syslog_rfc3164", "syslog_rfc5424"}) {
    CAPTURE(format);
    const FormatScanner* scanner = find_format_scanner(format);
    REQUIRE(scanner != nullptr);
    const auto re = compile(format);
    REQUIRE(static_cast<size_t>(re->NumberOfCapturingGroups()) == scanner->groups.size());
    for (const auto& [index, name] : re->CapturingGroupNames()) {
      CHECK(scanner->groups[static_cast<size_t>(index) - 1] == name);
    }
  }
  CHECK(find_format_scanner("nginx") == &combined_scanner());
  CHECK(find_format_scanner("syslog_rfc3164") == &syslog_rfc3164_scanner());
  CHECK(find_format_scanner("syslog_rfc5424") == &syslog_rfc5424_scanner());
  CHECK(find_format_scanner("") == nullptr);
  CHECK(find_format_scanner("syslog") == nullptr);
}

TEST_CASE("format scanners: a combined line gives its parts, in the pattern's group order") {
  CHECK(scan("nginx", sample_lines()[0]) ==
        R"(client="93.180.71.3" ident="-" user="-" time="17/May/2015:08:05:32 +0000" )"
        R"(method="GET" path="/downloads/product_1" protocol="HTTP/1.1" status="304" bytes="0" )"
        R"x(referer="-" user_agent="Debian APT-HTTP/1.3 (0.8.16~exp12ubuntu10.21)")x");
  CHECK(scan("apache", sample_lines()[1])
            .ends_with(R"(user_agent="Mozilla/4.08 [en] )"
                       R"((Win98; I ;Nav) \"x\"")"));
}

TEST_CASE("format scanners: a request that is not METHOD path protocol is the request field") {
  CHECK(scan("nginx", sample_lines()[2]) ==
        R"(client="192.168.1.5" ident="-" user="-" time="01/May/2024:10:00:00 +0000" )"
        R"(request="\x16\x03\x01\x00" status="400" bytes="157" referer="-" user_agent="-")");
  // METHOD path matches up to the escaped quote, but no status follows it there.
  CHECK(scan("nginx", sample_lines()[5]).find(R"(request="GET /a\" HTTP/1.1" status="200")") !=
        std::string::npos);
  CHECK(scan("nginx", sample_lines()[6]).find(R"(request="" status="400")") != std::string::npos);
  CHECK(scan("nginx", sample_lines()[7]).find(R"(method="GET" path="/" status="200")") !=
        std::string::npos);
}

TEST_CASE(
    "format scanners: the common log format has no referer, extra trailing fields are ignored") {
  CHECK(scan("combined", sample_lines()[3]) ==
        R"(client="10.0.0.1" ident="-" user="-" time="01/May/2024:10:00:00 +0000" )"
        R"(method="GET" path="/" protocol="HTTP/1.1" status="200" bytes="-")");
  CHECK(scan("nginx", sample_lines()[4]).ends_with(R"(referer="-" user_agent="curl/8.0")"));
  CHECK(scan("nginx", sample_lines()[7]).ends_with(R"(bytes="12345")"));  // a lone referer
}

TEST_CASE("format scanners: RFC 3164 lines with and without PRI, pid and tag") {
  CHECK(scan("syslog_rfc3164", sample_lines()[11]) ==
        R"(pri="34" time="Oct 11 22:14:15" host="mymachine" ident="su" )"
        R"(msg="'su root' failed for lonvick on /dev/pts/8")");
  CHECK(scan("syslog_rfc3164", sample_lines()[12]) ==
        R"(time="Feb  5 17:32:18" host="web-1" ident="sshd" pid="1234" )"
        R"(msg="Accepted publickey for root")");
  CHECK(scan("syslog_rfc3164", sample_lines()[14]) ==
        R"(time="Feb  5 17:32:18" host="web-1" msg="a message without a tag")");
  CHECK(scan("syslog_rfc3164", sample_lines()[15]) ==
        R"(pri="13" time="Feb  5 17:32:18" host="h" ident="t" pid="" msg="msg")");
  CHECK(scan("syslog_rfc3164", sample_lines()[16]) ==
        R"(pri="13" time="Feb  5 17:32:18" host="h" msg="t[a b]: msg")");
  CHECK(scan("syslog_rfc3164", sample_lines()[18]) == "no match");  // four digits of PRI
  CHECK(scan("syslog_rfc3164", sample_lines()[19]) == "no match");  // '\n' in msg
}

TEST_CASE("format scanners: RFC 5424 lines with nil values, structured data and no message") {
  CHECK(scan("syslog_rfc5424", sample_lines()[22]) ==
        R"(pri="165" version="1" time="2003-08-24T05:14:15.000003-07:00" host="192.0.2.1" )"
        R"(app_name="myproc" procid="8710" msgid="-" structured_data="-")");
  CHECK(scan("syslog_rfc5424", sample_lines()[23]) ==
        R"(pri="13" version="1" time="-" host="-" app_name="-" procid="-" msgid="-" )"
        R"(structured_data="-" msg="")");
  CHECK(scan("syslog_rfc5424", sample_lines()[24])
            .ends_with(R"(structured_data="[a x="\]"][b y="1"]" msg="tail")"));
  CHECK(scan("syslog_rfc5424", sample_lines()[25]) == "no match");
  CHECK(scan("syslog_rfc5424", sample_lines()[26]).ends_with("structured_data=\"[a\nb]\""));
  CHECK(scan("syslog_rfc5424", sample_lines()[27]) == "no match");
  CHECK(scan("syslog_rfc5424", sample_lines()[28]) == "no match");
  CHECK(scan("syslog_rfc5424", sample_lines()[29]) == "no match");
}

TEST_CASE("format scanners: bytes >= 0x80 and \\v are not spaces, \\t is") {
  CHECK(scan("nginx", sample_lines()[8]).find("ident=\"\xff\xfe\"") != std::string::npos);
  CHECK(scan("nginx", sample_lines()[9]).starts_with("client=\"10.0.0.1\v\""));
  CHECK(scan("nginx", sample_lines()[10]) == "no match");
  CHECK(scan("syslog_rfc3164", sample_lines()[20]).ends_with("pid=\"\xe9(\" msg=\"\xff\""));
}

TEST_CASE("format scanners: every sample line, and every prefix of it, gives what RE2 gives") {
  for (const std::string& line : sample_lines()) {
    for (size_t size = 0; size <= line.size(); ++size) {
      // A copy of exactly the prefix, so that nothing past it can be read unnoticed.
      const std::string prefix = line.substr(0, size);
      for (const char* format : kFormats) {
        CAPTURE(format);
        CAPTURE(prefix);
        CHECK(difference(format, prefix) == "");
      }
    }
  }
}
