#include "agent/api/registry.h"
#include "plugins/sinks/file/file_sink.h"

namespace logagent::plugins {
void register_sinks_file(Registry& registry) { registry.add_sink<file_sink::FileSink>(); }
}  // namespace logagent::plugins
