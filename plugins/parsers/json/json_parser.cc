#include "plugins/parsers/json/json_parser.h"

namespace logagent::plugins::json {

Result<std::unique_ptr<Stage>> JsonStage::create(const Options& o, const PluginContext& ctx) {
  return make_parser_stage(to_settings(o), make_json_parser(),
                           ctx.metrics.with_default({{"stage", std::string(kName)}}));
}

}  // namespace logagent::plugins::json
