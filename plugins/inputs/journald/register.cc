// Registers the `journald` input. The only place the plugin meets the registry.
#include "agent/api/registry.h"
#include "plugins/inputs/journald/journald_input.h"

namespace logagent::plugins {

void register_inputs_journald(Registry& r) { r.add_input<journald::JournaldInput>(); }

}  // namespace logagent::plugins
