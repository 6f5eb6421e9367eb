// Metrics that more than one input updates, declared once here so that every input makes the
// same series (same name, labels and help) and the reference lists each once.
//
// Threads: constants.
#pragma once

#include "agent/api/metrics.h"

namespace logagent {

inline constexpr MetricDef kInputFilesLost{
    "logagent_input_files_lost_total", MetricKind::kCounter, "pipeline,reason",
    "Files whose bytes were gone before they could be read, each logged with its name. tail: "
    "created under a matched name, then deleted (reason deleted), renamed over (overwritten) or "
    "moved out of the watched directories (moved_away) before the agent could open them. "
    "journald: the journal no longer held the saved cursor's entry at start (reason vacuumed: "
    "its files vacuumed, or the journal replaced, while the agent was down)"};

}  // namespace logagent
