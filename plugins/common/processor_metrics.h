// The metric every processor stage shares, declared once: what the stage did with the events it
// saw (its `result` label), added to once per batch. The lane's standard per-stage metrics
// (events in, out, dropped) come on top, for every stage alike.
#pragma once

#include "agent/api/metrics.h"

namespace logagent::plugins {

inline constexpr MetricDef kProcessorEvents{
    "logagent_processor_events_total", MetricKind::kCounter, "pipeline,stage,result",
    "Events a processor stage saw, by result: modified (add_fields, remove_fields, "
    "rename_fields), kept or dropped (drop, keep), kept or sampled_out (sample), kept or "
    "throttled (throttle)"};

}  // namespace logagent::plugins
