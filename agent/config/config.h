// AgentConfig: the whole configuration file, typed and validated.
//
// load_config() reads YAML, binds the top-level keys (data_dir, metrics, memory,
// checkpoint_interval, shutdown_timeout, log) and every pipeline, and binds each plugin's options
// through the registry. It runs before any thread starts and collects every error as
// "FILE:LINE:COL: path: message". Keys (README.md's configuration reference lists every one):
//
//   data_dir: ./data
//   metrics: {listen: "127.0.0.1:9464", allow_remote: false}
//   memory: {buffer_pool: 64MiB, chunk_size: 256KiB}
//   checkpoint_interval: 1s
//   shutdown_timeout: 10s
//   log: {level: info}
//   pipelines:
//     - name: app            # required, unique, [A-Za-z0-9_.-]+
//       workers: 1           # lanes
//       queue_size: 16       # batches per SPSC queue
//       delivery: at_least_once   # or exactly_once (one sink that offers it)
//       input: {type: tail, ...}
//       stages: [{type: json}, ...]
//       sinks: [{type: file, ...}, ...]   # at least one
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/options.h"
#include "agent/api/registry.h"
#include "agent/api/status.h"

namespace logagent {

struct PluginConfig {
  std::string type;
  const PluginFactory* factory = nullptr;
  std::shared_ptr<const void> options;  // the plugin's typed Options
  std::string where;                    // "FILE:LINE:COL" of the plugin's map
};

// delivery: what a pipeline promises. at_least_once: a batch is checkpointed once every sink
// delivered it (a crash may send it again). exactly_once: the one sink (Sink::transactional())
// commits the checkpoint in the same transaction as the batches it covers (agent/api/plugin.h).
enum class Delivery { kAtLeastOnce, kExactlyOnce };
constexpr std::array<std::string_view, 2> option_names(Delivery) {
  return {"at_least_once", "exactly_once"};
}

struct PipelineConfig {
  std::string name;
  uint32_t workers = 1;
  uint32_t queue_size = 16;
  Delivery delivery = Delivery::kAtLeastOnce;
  PluginConfig input;
  std::vector<PluginConfig> stages;
  std::vector<PluginConfig> sinks;
  // The pipeline's YAML with ${VAR} expanded (canonical dump): a reload restarts a pipeline only
  // when this, or a setting it inherits, changed.
  std::string fingerprint;
};

// The agent's own log (log.level, log.format).
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
constexpr std::array<std::string_view, 5> option_names(LogLevel) {
  return {"trace", "debug", "info", "warn", "error"};
}
enum class LogFormat { kText, kJson };
constexpr std::array<std::string_view, 2> option_names(LogFormat) { return {"text", "json"}; }

struct AgentConfig {
  std::string data_dir = "./data";
  std::string metrics_listen = "127.0.0.1:9464";
  bool metrics_allow_remote = false;  // listen on a non-loopback address
  ByteSize buffer_pool{64ull << 20};
  ByteSize chunk_size{256ull << 10};
  Duration checkpoint_interval{std::chrono::seconds(1)};
  Duration shutdown_timeout{std::chrono::seconds(10)};
  Duration checkpoint_keep_unclaimed{std::chrono::hours(24)};
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  std::vector<PipelineConfig> pipelines;
};

// Loads and validates `path`. On failure, `diag` holds every error found.
std::optional<AgentConfig> load_config(const std::string& path, const Registry& registry,
                                       Diagnostics& diag);
// Same, from text (tests); `name` is used in positions.
std::optional<AgentConfig> load_config_text(const std::string& text, const std::string& name,
                                            const Registry& registry, Diagnostics& diag);

// Markdown reference of every top-level key and every plugin option (from the schemas).
std::string config_reference(const Registry& registry);

}  // namespace logagent
