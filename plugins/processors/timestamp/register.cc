#include "agent/api/registry.h"
#include "plugins/processors/timestamp/timestamp_stage.h"

namespace logagent::plugins {
void register_processors_timestamp(Registry& registry) {
  registry.add_stage<timestamp::TimestampPlugin>();
}
}  // namespace logagent::plugins
