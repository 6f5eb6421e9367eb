#include "plugins/parsers/json/json_options.h"

namespace logagent::plugins::json {

const Schema<JsonOptions>& JsonOptions::schema() {
  static const Schema<JsonOptions> s =
      parser_schema<JsonOptions>({"lines that are not a JSON object", "the object's members"});
  return s;
}

}  // namespace logagent::plugins::json
