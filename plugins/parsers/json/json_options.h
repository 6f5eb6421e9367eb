// Options of the "json" parser stage: only the common parser options (parser_stage.h).
#pragma once

#include "agent/api/options.h"
#include "plugins/common/parser_stage.h"

namespace logagent::plugins::json {

struct JsonOptions : ParserOptions {
  static const Schema<JsonOptions>& schema();
};

}  // namespace logagent::plugins::json
