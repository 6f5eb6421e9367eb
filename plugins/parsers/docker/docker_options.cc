#include "plugins/parsers/docker/docker_options.h"

namespace logagent::plugins::docker {

const Schema<DockerOptions>& DockerOptions::schema() {
  static const Schema<DockerOptions> s = [] {
    Schema<DockerOptions> schema = parser_schema<DockerOptions>(
        {"lines that are not a json-file object with a string `log`", "stream, time and the rest"});
    schema
        .field("max_bytes", &DockerOptions::max_bytes,
               "Largest line joined from split records (a `log` without the final \\n; across "
               "batches too): one reaching it is emitted flagged truncated and the rest follows "
               "as another event; nothing is dropped.")
        .rule([](const DockerOptions& o) -> std::optional<std::string> {
          if (o.max_bytes.bytes == 0) return "'max_bytes' must be positive";
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

}  // namespace logagent::plugins::docker
