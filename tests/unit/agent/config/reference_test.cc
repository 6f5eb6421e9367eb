#include <doctest/doctest.h>

#include "agent/config/config.h"
#include "agent/config/fake_plugins.h"

using namespace logagent;

TEST_CASE("the reference lists top-level keys with their defaults") {
  const std::string ref = config_reference(testing::fake_registry());
  CHECK(ref.starts_with("# logagent configuration reference\n"));
  CHECK(ref.find("| `data_dir` | string | `./data` | no |") != std::string::npos);
  CHECK(ref.find("| `memory.buffer_pool` | size | `64MiB` | no |") != std::string::npos);
  CHECK(ref.find("| `memory.chunk_size` | size | `256KiB` | no |") != std::string::npos);
  CHECK(ref.find("| `checkpoint_interval` | duration | `1s` | no |") != std::string::npos);
  CHECK(ref.find("| `metrics.listen` | string | `127.0.0.1:9464` | no |") != std::string::npos);
  CHECK(ref.find("| `pipelines[].name` | string | — | yes |") != std::string::npos);
  CHECK(ref.find("One of: `trace`, `debug`, `info`, `warn`, `error`.") != std::string::npos);
}

TEST_CASE("the reference documents each plugin's keys, types, defaults and requirements") {
  const std::string ref = config_reference(testing::fake_registry());
  CHECK(ref.find("### `tail`") != std::string::npos);
  CHECK(ref.find("| `paths` | list of strings | — | yes | Globs of the files to follow. |") !=
        std::string::npos);
  CHECK(ref.find("| `read_from` | string | `head` | no | Where to start. One of: `head`, "
                 "`tail`. |") != std::string::npos);
  CHECK(ref.find("| `max_line_bytes` | size | `1MiB` | no |") != std::string::npos);
  CHECK(ref.find("| `scan_interval` | duration | `1s` | no |") != std::string::npos);
  CHECK(ref.find("| `linger` | duration | `5ms` | no |") != std::string::npos);
  CHECK(ref.find("| `compress` | bool | `true` | no |") != std::string::npos);
  CHECK(ref.find("Topic \\| destination.") != std::string::npos);
  CHECK(ref.find("### `json`\n\n`type: \"json\"`\n\nNo options besides `type`.") !=
        std::string::npos);
  // Kinds in order, plugins sorted by name within a kind.
  const size_t inputs = ref.find("## Inputs");
  const size_t stages = ref.find("## Stages");
  const size_t sinks = ref.find("## Sinks");
  CHECK(inputs < stages);
  CHECK(stages < sinks);
  CHECK(ref.find("### `kafka`") < ref.find("### `null`"));
}

TEST_CASE("the reference does not depend on the order plugins were registered in") {
  Registry reversed;
  reversed.add_sink<testing::FakeNull>();
  reversed.add_sink<testing::FakeKafka>();
  reversed.add_stage<testing::FakeJson>();
  reversed.add_input<testing::FakeTail>();
  CHECK(config_reference(reversed) == config_reference(testing::fake_registry()));
}
