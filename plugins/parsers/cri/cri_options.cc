#include "plugins/parsers/cri/cri_options.h"

namespace logagent::plugins::cri {

const Schema<CriOptions>& CriOptions::schema() {
  static const Schema<CriOptions> s = parser_schema<CriOptions>(
      {"lines that are not `TIME STREAM P|F MESSAGE`", "the time and stream fields"});
  return s;
}

}  // namespace logagent::plugins::cri
