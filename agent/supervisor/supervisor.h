// Supervisor: runs the configured pipelines until a signal (or, with --once, until every file
// was read and every batch settled), then shuts them down within shutdown_timeout.
//
// Signals: SIGTERM/SIGINT/SIGHUP are blocked in every thread and taken synchronously by the
// supervisor thread with sigtimedwait, so no handler runs on a data-plane thread. SIGPIPE is
// ignored (a closed stdout is an error the sink reports, not a crash).
#pragma once

#include "agent/config/config.h"

namespace logagent {

struct RunOptions {
  bool once = false;
};

// Returns the process exit code.
int run_agent(const AgentConfig& config, const RunOptions& options);

}  // namespace logagent
