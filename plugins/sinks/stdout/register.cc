#include "agent/api/registry.h"
#include "plugins/sinks/stdout/stdout_sink.h"

namespace logagent::plugins {
void register_sinks_stdout(Registry& registry) { registry.add_sink<stdout_sink::StdoutSink>(); }
}  // namespace logagent::plugins
