#include "agent/api/registry.h"
#include "plugins/processors/remove_fields/remove_fields_stage.h"

namespace logagent::plugins {
void register_processors_remove_fields(Registry& registry) {
  registry.add_stage<remove_fields::RemoveFieldsPlugin>();
}
}  // namespace logagent::plugins
