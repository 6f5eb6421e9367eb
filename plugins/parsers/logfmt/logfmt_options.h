// Options of the "logfmt" parser stage.
#pragma once

#include <string>

#include "agent/api/fields.h"
#include "agent/api/options.h"

namespace logagent::plugins::logfmt {

struct LogfmtOptions {
  std::string field = "message";
  std::string on_error = "keep";
  std::string target;
  static const Schema<LogfmtOptions>& schema();
};

ParseSettings to_settings(const LogfmtOptions& o);

}  // namespace logagent::plugins::logfmt
