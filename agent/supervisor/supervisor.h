// Supervisor: runs the configured pipelines until a signal (or, with --once, until every file
// was read and every batch settled), then shuts them down within shutdown_timeout.
//
// Signals: SIGTERM/SIGINT/SIGHUP are blocked in every thread and taken synchronously by the
// supervisor thread with sigtimedwait, so no handler runs on a data-plane thread. SIGPIPE is
// ignored (a closed stdout is an error the sink reports, not a crash).
//
// Reload (SIGHUP, or POST /-/reload on the metrics listener): the configuration file is read
// and validated again. A bad one is refused with its errors (logged, and in the HTTP reply) and
// everything keeps running. Otherwise pipelines whose YAML (with ${VAR} expanded) is unchanged
// keep running untouched; changed ones are drained and stopped (final checkpoint), then started
// again from their checkpoints with the new settings -- nothing lost, and nothing repeated if the
// drain finished in time; removed ones stop; new ones start. The drains of one reload share one
// shutdown_timeout. A SIGTERM or SIGINT during a reload ends it after the drain under way: what
// was not yet restarted stays as it was, and the stop drains everything by that same deadline.
// Settings of the agent itself (data_dir, memory, metrics.listen) need a restart: a change is
// reported and not applied.
//
// delivery: exactly_once: a pipeline whose sink's transaction failed is built and started again
// from the committed checkpoint, with backoff (restarter.h); reloads and signals work meanwhile.
//
// HTTP (metrics.listen): GET /metrics, GET /healthz (200 while the supervisor loop runs),
// GET /ready (200 when every pipeline runs and every sink can deliver, else 503 and why),
// POST /-/reload. With $NOTIFY_SOCKET set (systemd Type=notify) it sends READY=1 once the
// pipelines run, RELOADING=1 / READY=1 around a reload, and STOPPING=1.
#pragma once

#include <string>

#include "agent/api/registry.h"
#include "agent/config/config.h"

namespace logagent {

struct RunOptions {
  bool once = false;
  std::string config_path;             // re-read on reload
  const Registry* registry = nullptr;  // for reloads; null: reload is refused
};

// Returns the process exit code.
int run_agent(const AgentConfig& config, const RunOptions& options);

}  // namespace logagent
