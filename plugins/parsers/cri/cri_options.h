// Options of the "cri" parser stage: the common parser options (parser_stage.h) and max_bytes,
// the largest line joined from P lines (partial_joiner.h).
#pragma once

#include "agent/api/options.h"
#include "plugins/common/parser_stage.h"

namespace logagent::plugins::cri {

struct CriOptions : ParserOptions {
  ByteSize max_bytes{1024 * 1024};
  static const Schema<CriOptions>& schema();
};

}  // namespace logagent::plugins::cri
