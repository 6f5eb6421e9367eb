#include "agent/api/registry.h"
#include "plugins/sinks/null/null_sink.h"

namespace logagent::plugins {
void register_sinks_null(Registry& registry) { registry.add_sink<null_sink::NullSink>(); }
}  // namespace logagent::plugins
