#include "agent/api/registry.h"
#include "plugins/processors/sample/sample_stage.h"

namespace logagent::plugins {
void register_processors_sample(Registry& registry) { registry.add_stage<sample::SamplePlugin>(); }
}  // namespace logagent::plugins
