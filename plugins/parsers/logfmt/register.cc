#include "agent/api/registry.h"
#include "plugins/parsers/logfmt/logfmt_parser.h"

namespace logagent::plugins {
void register_parsers_logfmt(Registry& registry) { registry.add_stage<logfmt::LogfmtStage>(); }
}  // namespace logagent::plugins
