#include "agent/api/registry.h"
#include "plugins/sinks/kafka/kafka_sink.h"

namespace logagent::plugins {
void register_sinks_kafka(Registry& registry) { registry.add_sink<kafka::KafkaSink>(); }
}  // namespace logagent::plugins
