#include "agent/supervisor/reload_plan.h"

namespace logagent {

ReloadPlan plan_reload(const AgentConfig& running, std::span<const PipelineState> current,
                       const AgentConfig& next) {
  // Inherited settings also count as a change of every pipeline.
  const bool inherited_changed =
      next.checkpoint_interval.value != running.checkpoint_interval.value ||
      next.shutdown_timeout.value != running.shutdown_timeout.value;
  ReloadPlan plan;
  std::vector<bool> named(current.size(), false);
  for (const PipelineConfig& pc : next.pipelines) {
    ReloadPlan::Step step{&pc, ReloadPlan::Action::kStart, 0};
    for (size_t i = 0; i < current.size(); ++i) {
      if (named[i] || current[i].config->name != pc.name) continue;
      named[i] = true;
      step.current = i;
      const bool same = !inherited_changed && current[i].config->fingerprint == pc.fingerprint &&
                        current[i].running;
      step.action = same ? ReloadPlan::Action::kKeep : ReloadPlan::Action::kRestart;
      break;
    }
    plan.steps.push_back(step);
  }
  for (size_t i = 0; i < current.size(); ++i) {
    if (!named[i]) plan.removed.push_back(i);
  }
  return plan;
}

bool agent_settings_changed(const AgentConfig& running, const AgentConfig& next) {
  return next.data_dir != running.data_dir || next.metrics_listen != running.metrics_listen ||
         next.buffer_pool.bytes != running.buffer_pool.bytes ||
         next.chunk_size.bytes != running.chunk_size.bytes;
}

void keep_agent_settings(const AgentConfig& running, AgentConfig& next) {
  next.data_dir = running.data_dir;
  next.metrics_listen = running.metrics_listen;
  next.metrics_allow_remote = running.metrics_allow_remote;
  next.buffer_pool = running.buffer_pool;
  next.chunk_size = running.chunk_size;
}

}  // namespace logagent
