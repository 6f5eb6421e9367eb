// Options of the "logfmt" parser stage: only the common parser options (parser_stage.h).
#pragma once

#include "agent/api/options.h"
#include "plugins/common/parser_stage.h"

namespace logagent::plugins::logfmt {

struct LogfmtOptions : ParserOptions {
  static const Schema<LogfmtOptions>& schema();
};

}  // namespace logagent::plugins::logfmt
