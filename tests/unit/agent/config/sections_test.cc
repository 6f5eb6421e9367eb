#include "agent/config/sections.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using namespace logagent;
using namespace logagent::config_detail;

namespace {

std::vector<std::string> keys_of(const std::vector<FieldDoc>& docs) {
  std::vector<std::string> out;
  for (const FieldDoc& d : docs) out.push_back(d.key);
  return out;
}

std::optional<AgentConfig> bind_root(const std::string& yaml, Diagnostics& diag) {
  auto root =
      ConfigNode::parse(yaml, std::make_shared<const ConfigFile>(ConfigFile{"t.yaml"}), diag);
  REQUIRE(root);
  AgentConfig c;
  if (!root_schema().bind(*root, c, diag, kRootSections)) return std::nullopt;
  return c;
}

}  // namespace

TEST_CASE("the reference lists every top-level key once, sections nested, in reading order") {
  const std::vector<std::string> keys = keys_of(top_level_docs());
  CHECK(keys == std::vector<std::string>{
                    "data_dir", "metrics.listen", "metrics.allow_remote", "memory.buffer_pool",
                    "memory.chunk_size", "checkpoint_interval", "shutdown_timeout",
                    "checkpoint_keep_unclaimed", "log.level", "log.format", "pipelines",
                    "pipelines[].name", "pipelines[].workers", "pipelines[].queue_size",
                    "pipelines[].delivery", "pipelines[].input", "pipelines[].stages",
                    "pipelines[].sinks"});
  for (const FieldDoc& d : top_level_docs()) {
    CAPTURE(d.key);
    CHECK_FALSE(d.doc.empty());
    CHECK_FALSE(d.type.empty());
  }
}

TEST_CASE("the reference's defaults are the member initialisers of the config structs") {
  const AgentConfig agent;
  for (const FieldDoc& d : top_level_docs()) {
    if (d.key == "data_dir") CHECK(d.default_value == agent.data_dir);
    if (d.key == "shutdown_timeout") CHECK(d.default_value == format_value(agent.shutdown_timeout));
    if (d.key == "memory.buffer_pool") CHECK(d.default_value == format_value(agent.buffer_pool));
    if (d.key == "pipelines[].workers") CHECK(d.default_value == "1");
  }
}

TEST_CASE("pipelines, input, stages and sinks are required where the loader requires them") {
  std::set<std::string> required;
  for (const FieldDoc& d : top_level_docs()) {
    if (d.required) required.insert(d.key);
  }
  CHECK(required.count("pipelines") == 1);
  CHECK(required.count("pipelines[].input") == 1);
  CHECK(required.count("pipelines[].sinks") == 1);
  CHECK(required.count("pipelines[].stages") == 0);
  CHECK(required.count("data_dir") == 0);
}

TEST_CASE("the root schema binds its keys and leaves the sections to the loader") {
  Diagnostics diag;
  auto c =
      bind_root("data_dir: /d\nshutdown_timeout: 3s\nmetrics: {listen: ''}\npipelines: []\n", diag);
  CHECK(diag.ok());
  REQUIRE(c);
  CHECK(c->data_dir == "/d");
  CHECK(c->shutdown_timeout == Duration{std::chrono::seconds(3)});
  CHECK(c->metrics_listen == AgentConfig().metrics_listen);  // a section: not the root's to bind
  CHECK_FALSE(bind_root("data_dirr: /d\n", diag));
}

TEST_CASE("the section limits make sense together") {
  CHECK(kMinChunkSize < kMaxChunkSize);
  CHECK(AgentConfig().chunk_size.bytes >= kMinChunkSize);
  CHECK(AgentConfig().chunk_size.bytes <= kMaxChunkSize);
  CHECK(PipelineConfig().workers <= kMaxWorkers);
  CHECK(PipelineConfig().queue_size <= kMaxQueueSize);
}
