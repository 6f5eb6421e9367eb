#include "agent/api/registry.h"
#include "plugins/processors/throttle/throttle_stage.h"

namespace logagent::plugins {
void register_processors_throttle(Registry& registry) {
  registry.add_stage<throttle::ThrottlePlugin>();
}
}  // namespace logagent::plugins
