// Options of the "cri" parser stage: only the common parser options (parser_stage.h).
#pragma once

#include "agent/api/options.h"
#include "plugins/common/parser_stage.h"

namespace logagent::plugins::cri {

struct CriOptions : ParserOptions {
  static const Schema<CriOptions>& schema();
};

}  // namespace logagent::plugins::cri
