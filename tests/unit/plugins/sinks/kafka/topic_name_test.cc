// Topic name validity and sanitizing, and the kafka sink's template placeholders.
#include "plugins/sinks/kafka/topic_name.h"

#include <doctest/doctest.h>

using namespace logagent;
using namespace logagent::plugins;
using namespace logagent::plugins::kafka;

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

TEST_CASE("kafka templates allow metadata and event fields but not offsets") {
  CHECK(Template::parse("{file}{file_name}{pipeline}{host}{field.a:-b}", kTemplateSyntax).is_ok());
  CHECK(Template::parse("{offset}", kTemplateSyntax).message().find("unknown placeholder") !=
        std::string::npos);
  CHECK(Template::parse("a}b", kTemplateSyntax).message() == "unmatched '}' in template 'a}b'");
  CHECK(Template::parse("a{file", kTemplateSyntax).message() ==
        "unclosed '{' in template 'a{file'");
}
