// Kafka topic names and the kafka sink's templates (topic, key and header values).
//
// The templates are plugins/common/template.h with the placeholders {file}, {file_name},
// {pipeline}, {host} and {field.NAME}/{field.NAME:-DEFAULT}; unknown names and unbalanced braces
// are errors when the configuration is validated. A topic rendered from placeholders is
// sanitized (sanitize_topic_name); literal topic text must already be a valid name.
//
// Threads: pure functions and a constant.
#pragma once

#include <string>
#include <string_view>

#include "plugins/common/template.h"

namespace logagent::plugins::kafka {

inline constexpr TemplateSyntax kTemplateSyntax{
    {TemplatePart::Kind::kFile, TemplatePart::Kind::kFileName, TemplatePart::Kind::kPipeline,
     TemplatePart::Kind::kHost, TemplatePart::Kind::kField},
    false};

// Kafka topic names: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view name);
// Replaces every character not allowed in a topic name with '_' and cuts at 249 characters.
void sanitize_topic_name(std::string& name);

}  // namespace logagent::plugins::kafka
