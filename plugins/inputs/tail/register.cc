// Registers the `tail` input. The only place the plugin meets the registry.
#include "agent/api/registry.h"
#include "plugins/inputs/tail/tail_input.h"

namespace logagent::plugins {

void register_inputs_tail(Registry& r) { r.add_input<tail::TailInput>(); }

}  // namespace logagent::plugins
