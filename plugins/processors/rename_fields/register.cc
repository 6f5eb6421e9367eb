#include "agent/api/registry.h"
#include "plugins/processors/rename_fields/rename_fields_stage.h"

namespace logagent::plugins {
void register_processors_rename_fields(Registry& registry) {
  registry.add_stage<rename_fields::RenameFieldsPlugin>();
}
}  // namespace logagent::plugins
