// Pipeline::build: the plugins of one pipeline from its configuration, and the paths the agent
// writes (which no input may read).
//
// Every stage and sink gets a label unique within the pipeline ("json", "json_2"): its queue's
// name and the "stage" or "sink" label of the metrics scope it is made with, so two plugins of
// one type never merge their counters.
#include <algorithm>
#include <filesystem>
#include <map>

#include "agent/pipeline/encode_stage.h"
#include "agent/pipeline/pipeline.h"

namespace logagent {
namespace {

// "file", "file", "null" → "file", "file_2", "null": sink/stage labels stay unique and bounded.
std::vector<std::string> unique_labels(const std::vector<PluginConfig>& plugins) {
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const auto& p : plugins) {
    const int n = ++seen[p.type];
    out.push_back(n == 1 ? p.type : p.type + "_" + std::to_string(n));
  }
  return out;
}

}  // namespace

std::vector<std::string> agent_outputs(const AgentConfig& agent) {
  std::vector<std::string> out;
  std::error_code ec;
  const auto data_dir = std::filesystem::absolute(agent.data_dir, ec).lexically_normal();
  if (!ec) out.push_back((data_dir / "*").string());  // checkpoints, dead-letter files, the lock
  for (const PipelineConfig& pc : agent.pipelines) {
    for (const PluginConfig& sink : pc.sinks) {
      if (sink.factory == nullptr || !sink.factory->writes) continue;
      for (std::string& p : sink.factory->writes(sink.options.get())) out.push_back(std::move(p));
    }
  }
  return out;
}

Status Pipeline::build(const PipelineConfig& config) {
  PluginContext ctx{name_, agent_.data_dir, scope_, config.workers, abort_.get_token(), {}};
  PluginContext input_ctx = ctx;
  input_ctx.agent_outputs = agent_outputs(agent_);
  auto input = config.input.factory->make_input(config.input.options.get(), input_ctx);
  if (!input) return Status::error(config.input.where + ": input: " + input.message());
  input_ = std::move(input.value());

  if (exactly_once_ && config.sinks.size() != 1) {
    return Status::error("delivery: exactly_once needs exactly one sink");
  }
  const auto sink_labels = unique_labels(config.sinks);
  std::vector<EncodeSpec> encodings;  // distinct, in sink order
  for (size_t i = 0; i < config.sinks.size(); ++i) {
    PluginContext sctx = ctx;
    sctx.metrics = scope_.with({{"sink", sink_labels[i]}});
    auto sink = config.sinks[i].factory->make_sink(config.sinks[i].options.get(), sctx);
    if (!sink) {
      return Status::error(config.sinks[i].where + ": sink " + sink_labels[i] + ": " +
                           sink.message());
    }
    if (auto spec = sink.value()->encoding();
        spec && std::find(encodings.begin(), encodings.end(), *spec) == encodings.end()) {
      encodings.push_back(*spec);
    }
    if (exactly_once_) {  // the configuration allows one sink only
      eos_sink_ = sink.value().get();
      eos_sink_type_ = config.sinks[i].type;
    }
    sinks_.add(std::move(sink.value()), sink_labels[i], sctx.metrics);
  }

  queue_names_ = unique_labels(config.stages);
  const std::vector<std::string> stage_labels = queue_names_;
  taps_ = std::make_shared<TapHub>(stage_labels);
  // Sinks that want pre-encoded (compressed) batches get an encode step on its own thread.
  if (!encodings.empty()) queue_names_.push_back("encode");
  queue_names_.push_back("sinks");
  for (uint32_t lane = 0; lane < config.workers; ++lane) {
    std::vector<LaneStage> stages;
    for (size_t i = 0; i < config.stages.size(); ++i) {
      const PluginConfig& sc = config.stages[i];
      PluginContext sctx = ctx;
      sctx.metrics = scope_.with({{"stage", stage_labels[i]}});
      auto stage = sc.factory->make_stage(sc.options.get(), sctx);
      if (!stage) return Status::error(sc.where + ": stage " + sc.type + ": " + stage.message());
      carrying_ = carrying_ || stage.value()->carries();
      stages.push_back({std::move(stage.value()), sctx.metrics});
    }
    if (!encodings.empty()) {
      const MetricsScope encode_scope = scope_.with({{"stage", "encode"}});
      stages.push_back({std::make_unique<EncodeStage>(encodings, encode_scope), encode_scope});
    }
    lanes_.push_back(std::make_unique<Lane>(
        std::move(stages), config.queue_size, [this](BatchPtr b) { sinks_.write(std::move(b)); },
        taps_.get()));
  }
  return Status::ok();
}

}  // namespace logagent
