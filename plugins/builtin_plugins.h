// Registers every built-in plugin. Only main.cc (the composition root) and tests call this.
#pragma once

#include "agent/api/registry.h"

namespace logagent::plugins {
void register_builtin_plugins(Registry& registry);
}  // namespace logagent::plugins
