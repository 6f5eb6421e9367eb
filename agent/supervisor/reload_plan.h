// ReloadPlan: what a reload does with each pipeline -- the diff of the running configuration and
// the new one, decided before anything is stopped or started (reload.h applies it).
//
// A pipeline of the new configuration is kept when one of that name runs, its fingerprint (its
// YAML with ${VAR} expanded) is the same, and no setting it inherits changed (checkpoint_interval,
// shutdown_timeout); restarted when one of that name exists otherwise; started when none does.
// Running pipelines the new configuration does not name are removed. The agent's own settings
// (data_dir, metrics.listen and .allow_remote, memory) need a restart: a reload keeps the running
// values and reports a change.
//
// Threads: pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "agent/config/config.h"

namespace logagent {

// A running (or stopped) pipeline as the plan sees it.
struct PipelineState {
  const PipelineConfig* config = nullptr;
  bool running = false;  // Pipeline::running(): started, and no sink stopped it
};

struct ReloadPlan {
  enum class Action { kKeep, kRestart, kStart };
  struct Step {
    const PipelineConfig* config = nullptr;  // in the new configuration
    Action action = Action::kStart;
    size_t current = 0;  // index of the pipeline of that name in `current` (kKeep, kRestart)
  };
  std::vector<Step> steps;      // in the new configuration's order
  std::vector<size_t> removed;  // indices in `current` of pipelines no longer configured
};

ReloadPlan plan_reload(const AgentConfig& running, std::span<const PipelineState> current,
                       const AgentConfig& next);

// data_dir, metrics.listen or memory differ (what a reload reports as needing a restart).
bool agent_settings_changed(const AgentConfig& running, const AgentConfig& next);
// Sets those settings of `next` to the running ones: a pipeline never moves to another data_dir
// (and reads everything again) behind the agent's back.
void keep_agent_settings(const AgentConfig& running, AgentConfig& next);

}  // namespace logagent
