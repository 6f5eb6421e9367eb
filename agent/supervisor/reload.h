// Applying a reload to the running pipelines: the supervisor reads and validates the new
// configuration; apply_reload() then keeps, restarts, starts and stops pipelines as plan_reload()
// (reload_plan.h) says.
//
// A restarted pipeline is built first (if that fails, the old one keeps running), then the old
// one is drained and stopped (final checkpoint), then the new one starts from the checkpoints. A
// pipeline that fails to start is kept, stopped: /ready names it and the next reload tries again.
// Every drain of one reload has the same deadline: one shutdown_timeout from the start of the
// apply. A SIGTERM or SIGINT waiting (stop_signal_pending()) ends the apply after the drain under
// way: what was not restarted yet stays as it was, a pipeline whose old one was drained is not
// started, and the caller stops the agent by the same deadline.
//
// Threads: the supervisor thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/status.h"
#include "agent/config/config.h"
#include "agent/pipeline/pipeline.h"

namespace logagent {

// A pipeline and the configuration it was built from (kept alive with it).
struct Slot {
  std::shared_ptr<const AgentConfig> config;
  const PipelineConfig* pc = nullptr;
  std::unique_ptr<Pipeline> pipeline;
};

using MakePipeline =
    std::function<Result<std::unique_ptr<Pipeline>>(const AgentConfig&, const PipelineConfig&)>;

struct ReloadOutcome {
  std::string report;        // one line per change ("restarted pipeline b"), errors as "error: ..."
  bool failed = false;       // a pipeline could not be built or started
  bool interrupted = false;  // a stop signal came: the caller stops the agent by drain_by
  std::chrono::steady_clock::time_point drain_by;
};

// Applies `next` to `slots`, whose pipelines run with `running`; `slots` then holds the pipelines
// to run (kept, restarted, started, and those left as they were by an interruption).
ReloadOutcome apply_reload(std::vector<Slot>& slots, const AgentConfig& running,
                           const std::shared_ptr<const AgentConfig>& next,
                           const MakePipeline& make);

// The last line of a reload's answer: how many pipelines of `slots` run, how many are stopped (one
// that failed to start is kept, stopped; so is one a sink stopped), and how many kept a
// configuration older than `next` (unchanged). E.g. "done: 2 pipeline(s) running, 1 stopped, 1
// unchanged".
std::string reload_summary(const std::vector<Slot>& slots,
                           const std::shared_ptr<const AgentConfig>& next);

// A SIGTERM or SIGINT is pending (blocked, not yet taken by the supervisor's sigtimedwait).
bool stop_signal_pending();

}  // namespace logagent
