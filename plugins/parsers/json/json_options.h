// Options of the "json" parser stage.
#pragma once

#include <string>

#include "agent/api/fields.h"
#include "agent/api/options.h"

namespace logagent::plugins::json {

struct JsonOptions {
  std::string field = "message";
  std::string on_error = "keep";
  std::string target;
  static const Schema<JsonOptions>& schema();
};

ParseSettings to_settings(const JsonOptions& o);

}  // namespace logagent::plugins::json
