#include "agent/api/registry.h"
#include "plugins/parsers/json/json_parser.h"

namespace logagent::plugins {
void register_parsers_json(Registry& registry) { registry.add_stage<json::JsonStage>(); }
}  // namespace logagent::plugins
