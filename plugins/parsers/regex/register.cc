#include "agent/api/registry.h"
#include "plugins/parsers/regex/regex_parser.h"

namespace logagent::plugins {
void register_parsers_regex(Registry& registry) { registry.add_stage<regex::RegexStage>(); }
}  // namespace logagent::plugins
