// Options of the "docker" parser stage: the common parser options (parser_stage.h) and max_bytes,
// the largest line joined from split records (partial_joiner.h).
#pragma once

#include "agent/api/options.h"
#include "plugins/common/parser_stage.h"

namespace logagent::plugins::docker {

struct DockerOptions : ParserOptions {
  ByteSize max_bytes{1024 * 1024};
  static const Schema<DockerOptions>& schema();
};

}  // namespace logagent::plugins::docker
