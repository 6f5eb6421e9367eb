// Restarter: starts again, with backoff, the pipelines whose exactly-once transaction failed, or
// whose start could not begin the sink's transactions (a reload while the cluster is away)
// (Pipeline::restart_wanted()) -- they resume from the checkpoint the sink committed last.
//
// A failed pipeline waits its backoff (first 1 s, doubled after every attempt up to 30 s; back to
// the first once a restarted pipeline ran for 30 s before failing again), is built again from its
// configuration, drained and stopped (what it acknowledged since the last commit is not
// checkpointed), and the new one is started. A build or a start that fails is logged and tried
// again after the next backoff; the slot keeps a stopped pipeline meanwhile (GET /ready names it).
// Each start of a rebuilt pipeline is counted (logagent_pipeline_restarts_total) and its outcome
// logged. A reload replaces the pipelines that do not run: forget() then drops what was pending. A
// stop signal that comes during a drain keeps the new pipeline from starting (the agent is
// stopping).
//
// Threads: the supervisor thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/metrics.h"
#include "agent/metrics/metrics_registry.h"
#include "agent/supervisor/reload.h"

namespace logagent {

inline constexpr MetricDef kPipelineRestarts{
    "logagent_pipeline_restarts_total", MetricKind::kCounter, "pipeline",
    "Times a pipeline stopped by a failed exactly-once transaction, or not started because its "
    "sink could not begin transactions, was built and started again from the committed "
    "checkpoint"};
inline constexpr MetricDef kRestarterMetrics[] = {kPipelineRestarts};

class Restarter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Restarter(std::shared_ptr<MetricsRegistry> metrics,
                     Clock::duration first = std::chrono::seconds(1),
                     Clock::duration max = std::chrono::seconds(30))
      : metrics_(std::move(metrics)), first_(first), max_(max) {}

  // Schedules the pipelines of `slots` that want a restart, and restarts those whose backoff
  // passed (`make` builds one from its slot's configuration).
  void tick(std::vector<Slot>& slots, const MakePipeline& make);
  // A reload replaced the pipelines: nothing pending holds any more.
  void forget() { entries_.clear(); }

 private:
  struct Entry {
    Clock::duration backoff{};
    Clock::time_point due{};
    bool waiting = false;       // a restart is due at `due`
    Clock::time_point since{};  // when the last restart started the pipeline
  };
  void restart(Slot& slot, Entry& e, const MakePipeline& make);
  void retry_later(const std::string& name, Entry& e, const std::string& why);

  std::shared_ptr<MetricsRegistry> metrics_;
  const Clock::duration first_, max_;
  std::map<std::string, Entry> entries_;  // by pipeline name
};

}  // namespace logagent
