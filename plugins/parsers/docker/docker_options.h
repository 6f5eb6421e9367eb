// Options of the "docker" parser stage: only the common parser options (parser_stage.h).
#pragma once

#include "agent/api/options.h"
#include "plugins/common/parser_stage.h"

namespace logagent::plugins::docker {

struct DockerOptions : ParserOptions {
  static const Schema<DockerOptions>& schema();
};

}  // namespace logagent::plugins::docker
