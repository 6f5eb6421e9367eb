// The metrics reference: every metric the agent can export, from the declarations of the core's
// components and of the registered plugins (MetricDef, agent/api/metrics.h). README.md's metrics
// table is its output (`logagent reference --metrics`; tests/update_reference.sh), and a test
// fails when the two drift.
//
// Threads: any; reads the registry, which is read-only once filled.
#pragma once

#include <string>
#include <vector>

#include "agent/api/metrics.h"
#include "agent/api/registry.h"

namespace logagent {

// Every table of the core: pipeline, lanes (standard per-stage metrics), sink fan-out,
// acknowledger, checkpointer, encode step, buffer pool and build, heap, restarts, readiness,
// process.
std::vector<MetricDef> core_metric_defs();

struct MetricDefs {
  std::vector<MetricDef> defs;         // one per name, sorted by name
  std::vector<std::string> conflicts;  // "NAME" declared twice with different kinds, labels or help
};
// The core's defs and every registered plugin's, merged by name.
MetricDefs all_metric_defs(const Registry& registry);

// The Markdown table: metric | kind | labels | meaning, one row per metric, sorted by name.
std::string metrics_reference(const Registry& registry);

}  // namespace logagent
