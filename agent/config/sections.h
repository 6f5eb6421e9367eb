// Schemas of the agent's own configuration sections (the top level, metrics, memory, log and a
// pipeline's scalar keys). Defaults live in the member initialisers of AgentConfig and
// PipelineConfig; these schemas add keys and documentation, for the loader and the reference.
// Internal to agent/config. Immutable after first use; any thread.
#pragma once

#include <string>
#include <vector>

#include "agent/config/config.h"

namespace logagent::config_detail {

// Top level: data_dir, checkpoint_interval, shutdown_timeout (sections are handled apart).
const Schema<AgentConfig>& root_schema();
const Schema<AgentConfig>& metrics_schema();  // metrics: {listen}
const Schema<AgentConfig>& memory_schema();   // memory: {buffer_pool, chunk_size}
const Schema<AgentConfig>& log_schema();      // log: {level}
// A pipeline's own keys: name, workers, queue_size, delivery (input, stages and sinks are handled
// apart).
const Schema<PipelineConfig>& pipeline_schema();

inline const std::vector<std::string> kRootSections = {"metrics", "memory", "log", "pipelines"};
inline const std::vector<std::string> kPipelineSections = {"input", "stages", "sinks"};

constexpr uint32_t kMaxWorkers = 64;
constexpr uint32_t kMaxQueueSize = 4096;
constexpr uint64_t kMinChunkSize = 4ULL << 10;
constexpr uint64_t kMaxChunkSize = 64ULL << 20;

// Every top-level key with its documentation, nested keys written "memory.buffer_pool" and
// "pipelines[].name", in the order of the reference.
std::vector<FieldDoc> top_level_docs();

}  // namespace logagent::config_detail
