#include "plugins/parsers/logfmt/logfmt_options.h"

namespace logagent::plugins::logfmt {

const Schema<LogfmtOptions>& LogfmtOptions::schema() {
  static const Schema<LogfmtOptions> s =
      parser_schema<LogfmtOptions>({"texts without any key=value pair", "the parsed pairs"});
  return s;
}

}  // namespace logagent::plugins::logfmt
