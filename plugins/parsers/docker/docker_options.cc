#include "plugins/parsers/docker/docker_options.h"

namespace logagent::plugins::docker {

const Schema<DockerOptions>& DockerOptions::schema() {
  static const Schema<DockerOptions> s = parser_schema<DockerOptions>(
      {"lines that are not a json-file object with a string `log`", "stream, time and the rest"});
  return s;
}

}  // namespace logagent::plugins::docker
