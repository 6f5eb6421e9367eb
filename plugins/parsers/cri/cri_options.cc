#include "plugins/parsers/cri/cri_options.h"

namespace logagent::plugins::cri {

const Schema<CriOptions>& CriOptions::schema() {
  static const Schema<CriOptions> s = [] {
    Schema<CriOptions> schema = parser_schema<CriOptions>(
        {"lines that are not `TIME STREAM P|F MESSAGE`", "the time and stream fields"});
    schema
        .field("max_bytes", &CriOptions::max_bytes,
               "Largest line joined from P lines (across batches too): one reaching it is "
               "emitted flagged truncated and the rest follows as another event; nothing is "
               "dropped.")
        .rule([](const CriOptions& o) -> std::optional<std::string> {
          if (o.max_bytes.bytes == 0) return "'max_bytes' must be positive";
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

}  // namespace logagent::plugins::cri
