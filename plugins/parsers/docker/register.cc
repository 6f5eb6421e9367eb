#include "agent/api/registry.h"
#include "plugins/parsers/docker/docker_parser.h"

namespace logagent::plugins {
void register_parsers_docker(Registry& registry) { registry.add_stage<docker::DockerStage>(); }
}  // namespace logagent::plugins
