#include "agent/api/registry.h"
#include "plugins/parsers/cri/cri_parser.h"

namespace logagent::plugins {
void register_parsers_cri(Registry& registry) { registry.add_stage<cri::CriStage>(); }
}  // namespace logagent::plugins
