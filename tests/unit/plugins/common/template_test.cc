// The template language (plugins/common/template.h), with the kafka sink's placeholders and
// with add_fields' (unknown names kept as text).
#include "plugins/common/template.h"

#include <doctest/doctest.h>

#include "plugins/common/field_edit.h"

using namespace logagent;
using namespace logagent::plugins;

namespace {
using Kind = TemplatePart::Kind;
// The kafka sink's placeholders.
constexpr TemplateSyntax kTemplateSyntax{
    {Kind::kFile, Kind::kFileName, Kind::kPipeline, Kind::kHost, Kind::kField}, false};
// add_fields' placeholders.
constexpr TemplateSyntax kLenient{{Kind::kHost, Kind::kPipeline, Kind::kFile, Kind::kOffset}, true};
const TemplateVars kVars{"/var/log/app/api.log", "web", "host1"};
}  // namespace

TEST_CASE("template: literal text renders as is") {
  auto t = Template::parse("app-logs", kTemplateSyntax);
  REQUIRE(t.is_ok());
  CHECK(t->is_literal());
  CHECK(t->render(kVars) == "app-logs");
}

TEST_CASE("template: placeholders render the batch's metadata") {
  auto t = Template::parse("{pipeline}.{file_name}@{host}:{file}", kTemplateSyntax);
  REQUIRE(t.is_ok());
  CHECK_FALSE(t->is_literal());
  CHECK(t->render(kVars) == "web.api.log@host1:/var/log/app/api.log");
  CHECK(Template::parse("{file_name}", kTemplateSyntax)->render({"plain", "p", "h"}) == "plain");
}

TEST_CASE("template: doubled braces are literal braces") {
  auto t = Template::parse("{{x}}-{pipeline}", kTemplateSyntax);
  REQUIRE(t.is_ok());
  CHECK(t->render(kVars) == "{x}-web");
}

TEST_CASE("template: unknown names and unbalanced braces are errors") {
  CHECK(Template::parse("{level}", kTemplateSyntax).message().find("unknown placeholder") !=
        std::string::npos);
  CHECK(Template::parse("a{file", kTemplateSyntax).message().find("unclosed") != std::string::npos);
  CHECK(Template::parse("a}b", kTemplateSyntax).message().find("unmatched") != std::string::npos);
  CHECK(Template::parse("", kTemplateSyntax).is_ok());
  CHECK(Template::parse("", kTemplateSyntax)->empty());
}

TEST_CASE("template: {field.NAME} renders the event's field, or its default") {
  Batch b;
  b.events = {Event{"first line", 0, 0, 0}, Event{"second", 11, 0, 0}};
  append_event_field(b, 0, Field{"app", "billing", FieldType::kString});
  append_event_field(b, 0, Field{"code", "503", FieldType::kNumber});
  append_event_field(b, 0, Field{"app", "billing-v2", FieldType::kString});  // the last wins
  auto t = Template::parse("logs-{field.app:-none}-{field.code}", kTemplateSyntax);
  REQUIRE(t.is_ok());
  CHECK(t->uses_fields());
  CHECK(t->field_without_default());
  TemplateVars v = kVars;
  v.batch = &b;
  v.event = 0;
  CHECK(t->render(v) == "logs-billing-v2-503");
  v.event = 1;  // no fields: defaults (empty without one)
  CHECK(t->render(v) == "logs-none-");
  CHECK(t->render(kVars) == "logs-none-");  // no batch at all (checking a config)
  auto msg = Template::parse("{field.message:-x}|{file_name}", kTemplateSyntax);
  REQUIRE(msg.is_ok());
  CHECK_FALSE(msg->field_without_default());
  v.event = 1;
  CHECK(msg->render(v) == "second|api.log");
  CHECK_FALSE(Template::parse("{file}", kTemplateSyntax)->uses_fields());
  CHECK(Template::parse("{field.}", kTemplateSyntax).message().find("empty field name") !=
        std::string::npos);
  CHECK(Template::parse("{field.:-x}", kTemplateSyntax).message().find("empty field name") !=
        std::string::npos);
}

TEST_CASE("template: an unknown placeholder's error lists the ones this use allows") {
  CHECK(Template::parse("{level}", kTemplateSyntax).message() ==
        "unknown placeholder '{level}' in template '{level}' (known: {file}, {file_name}, "
        "{pipeline}, {host}, {field.NAME}, {field.NAME:-DEFAULT}; '{{' is a literal '{')");
  const TemplateSyntax offsets{{Kind::kOffset}, false};
  CHECK(Template::parse("x{file}", offsets).message() ==
        "unknown placeholder '{file}' in template 'x{file}' (known: {offset}; '{{' is a literal "
        "'{')");
  CHECK(Template::parse("{field.a}", offsets).message().find("unknown placeholder") !=
        std::string::npos);
}

TEST_CASE("template: with unknown_is_text, unknown names and lone or doubled braces are text") {
  auto t = Template::parse("{x} {host} a}b {file c{{d}}", kLenient);
  REQUIRE(t.is_ok());
  CHECK(t->render(kVars) == "{x} host1 a}b {file c{{d}}");
  CHECK(Template::parse("{{host}}", kLenient)->render(kVars) == "{host1}");
  CHECK(Template::parse("{field.app}", kLenient)->render(kVars) == "{field.app}");
  CHECK(Template::parse("{", kLenient)->render(kVars) == "{");
  CHECK(Template::parse("}", kLenient)->render(kVars) == "}");
}

TEST_CASE("template: {offset} renders the event's file offset, 0 without an event") {
  Batch b;
  b.events = {Event{"a", 0, 0, 0}, Event{"b", 18446744073709551615ULL, 0, 0}};
  auto t = Template::parse("@{offset}", kLenient);
  REQUIRE(t.is_ok());
  CHECK(t->uses(Kind::kOffset));
  TemplateVars v = kVars;
  v.batch = &b;
  v.event = 1;
  CHECK(t->render(v) == "@18446744073709551615");
  CHECK(t->render(kVars) == "@0");
}

TEST_CASE("template: bind turns a placeholder into text and joins it with its neighbours") {
  auto t = Template::parse("{host}/{pipeline} {file}", kLenient);
  REQUIRE(t.is_ok());
  t->bind(Kind::kHost, "h1");
  t->bind(Kind::kPipeline, "p");
  REQUIRE(t->parts().size() == 2);
  CHECK(t->parts()[0].text == "h1/p ");
  CHECK(t->parts()[1].kind == Kind::kFile);
  CHECK_FALSE(t->is_literal());
  t->bind(Kind::kFile, "f");
  CHECK(t->is_literal());
  CHECK(t->literal() == "h1/p f");
  CHECK(t->render(TemplateVars{}) == "h1/p f");
}

TEST_CASE("template: an empty default counts as a default") {
  auto t = Template::parse("{field.a:-}", kTemplateSyntax);
  REQUIRE(t.is_ok());
  CHECK_FALSE(t->field_without_default());
  CHECK(t->render(kVars).empty());
}

TEST_CASE("template: for_each_piece hands over the pieces in order") {
  auto t = Template::parse("a-{pipeline}-{host}", kTemplateSyntax);
  REQUIRE(t.is_ok());
  std::vector<std::string> pieces;
  t->for_each_piece(kVars, [&pieces](std::string_view p) { pieces.emplace_back(p); });
  CHECK(pieces == std::vector<std::string>{"a-", "web", "-", "host1"});
}

TEST_CASE("template: a lenient text of many braces and one placeholder at its end parses whole") {
  std::string text;
  for (int i = 0; i < 100'000; ++i) text += "{a";
  text += "{host}";
  auto t = Template::parse(text, kLenient);
  REQUIRE(t.is_ok());
  const std::string out = t->render(kVars);
  CHECK(out.size() == 200'000 + 5);
  CHECK(out.substr(out.size() - 7) == "{ahost1");
}

TEST_CASE("template: {field.NAME} falls back to the source's field, and the event's own wins") {
  Batch b;
  b.source = std::make_shared<SourceInfo>(
      "/var/log/pods/team-a_web-0_u/app/0.log",
      std::vector<SourceField>{{"k8s.namespace", "team-a", FieldType::kString},
                               {"k8s.pod", "web-0", FieldType::kString}});
  b.events = {Event{"one", 0, 0, 0}, Event{"two", 4, 0, 0}};
  append_event_field(b, 1, Field{"k8s.pod", "from-the-line", FieldType::kString});
  auto t = Template::parse("logs-{field.k8s.namespace:-other}.{field.k8s.pod:-}", kTemplateSyntax);
  REQUIRE(t.is_ok());
  TemplateVars v = kVars;
  v.batch = &b;
  v.event = 0;
  CHECK(t->render(v) == "logs-team-a.web-0");
  v.event = 1;
  CHECK(t->render(v) == "logs-team-a.from-the-line");
  Batch plain;  // a source without fields: the default
  plain.source = std::make_shared<SourceInfo>("/var/log/syslog");
  plain.events = {Event{"x", 0, 0, 0}};
  v.batch = &plain;
  v.event = 0;
  CHECK(t->render(v) == "logs-other.");
}
