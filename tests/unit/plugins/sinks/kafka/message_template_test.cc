#include "plugins/sinks/kafka/message_template.h"

#include <doctest/doctest.h>

#include "plugins/common/field_edit.h"

using namespace logagent;
using namespace logagent::plugins::kafka;

namespace {
const TemplateVars kVars{"/var/log/app/api.log", "web", "host1"};
}

TEST_CASE("template: literal text renders as is") {
  auto t = MessageTemplate::parse("app-logs");
  REQUIRE(t.is_ok());
  CHECK(t->is_literal());
  CHECK(t->render(kVars) == "app-logs");
}

TEST_CASE("template: placeholders render the batch's metadata") {
  auto t = MessageTemplate::parse("{pipeline}.{file_name}@{host}:{file}");
  REQUIRE(t.is_ok());
  CHECK_FALSE(t->is_literal());
  CHECK(t->render(kVars) == "web.api.log@host1:/var/log/app/api.log");
  CHECK(MessageTemplate::parse("{file_name}")->render({"plain", "p", "h"}) == "plain");
}

TEST_CASE("template: doubled braces are literal braces") {
  auto t = MessageTemplate::parse("{{x}}-{pipeline}");
  REQUIRE(t.is_ok());
  CHECK(t->render(kVars) == "{x}-web");
}

TEST_CASE("template: unknown names and unbalanced braces are errors") {
  CHECK(MessageTemplate::parse("{level}").message().find("unknown placeholder") !=
        std::string::npos);
  CHECK(MessageTemplate::parse("a{file").message().find("unclosed") != std::string::npos);
  CHECK(MessageTemplate::parse("a}b").message().find("unmatched") != std::string::npos);
  CHECK(MessageTemplate::parse("").is_ok());
  CHECK(MessageTemplate::parse("")->empty());
}

TEST_CASE("template: {field.NAME} renders the event's field, or its default") {
  Batch b;
  b.events = {Event{"first line", 0, 0, 0}, Event{"second", 11, 0, 0}};
  append_event_field(b, 0, Field{"app", "billing", FieldType::kString});
  append_event_field(b, 0, Field{"code", "503", FieldType::kNumber});
  append_event_field(b, 0, Field{"app", "billing-v2", FieldType::kString});  // the last wins
  auto t = MessageTemplate::parse("logs-{field.app:-none}-{field.code}");
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
  auto msg = MessageTemplate::parse("{field.message:-x}|{file_name}");
  REQUIRE(msg.is_ok());
  CHECK_FALSE(msg->field_without_default());
  v.event = 1;
  CHECK(msg->render(v) == "second|api.log");
  CHECK_FALSE(MessageTemplate::parse("{file}")->uses_fields());
  CHECK(MessageTemplate::parse("{field.}").message().find("empty field name") != std::string::npos);
  CHECK(MessageTemplate::parse("{field.:-x}").message().find("empty field name") !=
        std::string::npos);
}

TEST_CASE("topic names: validity and sanitizing") {
  CHECK(valid_topic_name("app-logs_1.x"));
  CHECK_FALSE(valid_topic_name(""));
  CHECK_FALSE(valid_topic_name(".."));
  CHECK_FALSE(valid_topic_name("a/b"));
  CHECK_FALSE(valid_topic_name(std::string(250, 'a')));
  std::string n = "logs-/var/log/x.log";
  sanitize_topic_name(n);
  CHECK(n == "logs-_var_log_x.log");
  std::string long_name(300, 'a');
  sanitize_topic_name(long_name);
  CHECK(long_name.size() == 249);
}
