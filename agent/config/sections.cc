#include "agent/config/sections.h"

namespace logagent::config_detail {
namespace {

Schema<AgentConfig> make_root() {
  Schema<AgentConfig> s;
  s.field("data_dir", &AgentConfig::data_dir,
          "Directory of the agent's state (checkpoints); created if missing.");
  s.field("checkpoint_interval", &AgentConfig::checkpoint_interval,
          "How often acknowledged offsets are written to the checkpoint file (also on shutdown).");
  s.field("shutdown_timeout", &AgentConfig::shutdown_timeout,
          "How long SIGTERM/SIGINT waits for in-flight batches to be delivered before giving up.");
  s.field("checkpoint_keep_unclaimed", &AgentConfig::checkpoint_keep_unclaimed,
          "How long a checkpoint entry of the previous run is kept when no file claims it (it "
          "cannot be opened for now, its directory is not mounted yet); past it the entries "
          "are dropped, logged and counted (logagent_checkpoint_entries_expired_total).");
  return s;
}

Schema<AgentConfig> make_metrics() {
  Schema<AgentConfig> s;
  s.field("listen", &AgentConfig::metrics_listen,
          "HOST:PORT of the agent's HTTP listener (GET /metrics, /healthz, /ready, /tap; POST "
          "/-/reload); \"\" disables it. A non-loopback host needs allow_remote.");
  s.field("allow_remote", &AgentConfig::metrics_allow_remote,
          "Allow metrics.listen on an address other than loopback (127.0.0.0/8, [::1], "
          "localhost): anyone who can reach it can read the metrics and trigger reloads. GET /tap "
          "(`logagent tap`: log content) still answers loopback peers only.");
  return s;
}

Schema<AgentConfig> make_memory() {
  Schema<AgentConfig> s;
  s.field("buffer_pool", &AgentConfig::buffer_pool,
          "Memory ceiling for log data: total size of the pooled read buffers. When it is used "
          "up, tailers wait; nothing is dropped. At least 2 x chunk_size.");
  s.field("chunk_size", &AgentConfig::chunk_size,
          "Size of one pooled read buffer (4KiB to 64MiB).");
  return s;
}

Schema<AgentConfig> make_log() {
  Schema<AgentConfig> s;
  s.field("level", &AgentConfig::log_level, "Level of the agent's own log (on stderr).");
  s.field("format", &AgentConfig::log_format,
          "text: one line per message (time, level, text); json: one JSON object per line "
          "(time, level, msg). Repeats of one message beyond 5 in 10 s are counted, then "
          "summarised in one line.");
  return s;
}

Schema<PipelineConfig> make_pipeline() {
  Schema<PipelineConfig> s;
  s.field("name", &PipelineConfig::name,
          "Unique name of the pipeline ([A-Za-z0-9_.-]+); the `pipeline` label of its metrics "
          "and the key of its checkpoints.")
      .required();
  s.field("workers", &PipelineConfig::workers,
          "Number of lanes (1 to 64). A file always goes to the same lane, so order per file "
          "is kept.");
  s.field("queue_size", &PipelineConfig::queue_size,
          "Batches each bounded queue between stages holds (1 to 4096).");
  s.field("delivery", &PipelineConfig::delivery,
          "at_least_once: a batch is checkpointed once every sink delivered it; after a crash "
          "the lines since the last checkpoint are sent again. exactly_once: the pipeline's one "
          "sink, which must offer it (its section below says so; any other sink is a configuration "
          "error), commits the checkpoint in the same transaction as the "
          "lines it covers, and the pipeline starts from the checkpoint committed last; a "
          "failed transaction restarts the pipeline from it.");
  return s;
}

void append(std::vector<FieldDoc>& out, const std::string& prefix, std::vector<FieldDoc> docs) {
  for (FieldDoc& d : docs) {
    d.key = prefix + d.key;
    out.push_back(std::move(d));
  }
}

FieldDoc section_doc(std::string key, std::string type, std::string doc, bool required) {
  FieldDoc d;
  d.key = std::move(key);
  d.type = std::move(type);
  d.doc = std::move(doc);
  d.required = required;
  return d;
}

}  // namespace

const Schema<AgentConfig>& root_schema() {
  static const Schema<AgentConfig> s = make_root();
  return s;
}
const Schema<AgentConfig>& metrics_schema() {
  static const Schema<AgentConfig> s = make_metrics();
  return s;
}
const Schema<AgentConfig>& memory_schema() {
  static const Schema<AgentConfig> s = make_memory();
  return s;
}
const Schema<AgentConfig>& log_schema() {
  static const Schema<AgentConfig> s = make_log();
  return s;
}
const Schema<PipelineConfig>& pipeline_schema() {
  static const Schema<PipelineConfig> s = make_pipeline();
  return s;
}

std::vector<FieldDoc> top_level_docs() {
  std::vector<FieldDoc> out;
  std::vector<FieldDoc> root = root_schema().docs();
  out.push_back(root.at(0));  // data_dir
  append(out, "metrics.", metrics_schema().docs());
  append(out, "memory.", memory_schema().docs());
  out.insert(out.end(), root.begin() + 1, root.end());
  append(out, "log.", log_schema().docs());
  out.push_back(section_doc("pipelines", "list of pipelines", "At least one pipeline.", true));
  append(out, "pipelines[].", pipeline_schema().docs());
  out.push_back(section_doc("pipelines[].input", "plugin",
                            "The input: a map with `type` and that input's options.", true));
  out.push_back(section_doc("pipelines[].stages", "list of plugins",
                            "Stages applied in order, each a map with `type` and its options.",
                            false));
  out.push_back(section_doc("pipelines[].sinks", "list of plugins",
                            "At least one sink, each a map with `type` and its options; a batch "
                            "is acknowledged when every sink has delivered it.",
                            true));
  return out;
}

}  // namespace logagent::config_detail
