#include "agent/api/registry.h"
#include "plugins/processors/add_fields/add_fields_stage.h"

namespace logagent::plugins {
void register_processors_add_fields(Registry& registry) {
  registry.add_stage<add_fields::AddFieldsPlugin>();
}
}  // namespace logagent::plugins
