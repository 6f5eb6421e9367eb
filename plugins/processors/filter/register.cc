#include "agent/api/registry.h"
#include "plugins/processors/filter/filter_stage.h"

namespace logagent::plugins {
// One directory, two stage types: "drop" and "keep" share the condition and its options.
void register_processors_filter(Registry& registry) {
  registry.add_stage<filter::DropPlugin>();
  registry.add_stage<filter::KeepPlugin>();
}
}  // namespace logagent::plugins
