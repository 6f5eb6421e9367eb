// The agent's own metrics, declared once: its build, and its buffer pool (agent/core/buffer_pool.h,
// which cannot name metrics itself). Sampled from the pool at scrape time: the hot path pays
// nothing for them.
//
// Threads: the sampler runs on the HTTP thread during a scrape; the pool's counts are atomics.
#pragma once

#include <string_view>

#include "agent/api/metrics.h"
#include "agent/core/buffer_pool.h"
#include "agent/metrics/metrics_registry.h"

namespace logagent {

inline constexpr MetricDef kBuildInfo{"logagent_build_info", MetricKind::kGauge, "version",
                                      "1, labelled with the agent's version"};
inline constexpr MetricDef kBufferPoolInUse{
    "logagent_buffer_pool_in_use", MetricKind::kGauge, "",
    "Pooled buffers checked out (live writers); 0 when the agent is idle"};
inline constexpr MetricDef kBufferPoolCapacity{"logagent_buffer_pool_capacity", MetricKind::kGauge,
                                               "", "Pooled buffers in total"};
inline constexpr MetricDef kBufferPoolHighWater{"logagent_buffer_pool_high_water",
                                                MetricKind::kGauge, "",
                                                "Most buffers ever checked out at once"};
inline constexpr MetricDef kBufferPoolChunkBytes{"logagent_buffer_pool_chunk_bytes",
                                                 MetricKind::kGauge, "", "Bytes per pooled buffer"};
inline constexpr MetricDef kBufferPoolWaits{
    "logagent_buffer_pool_waits_total", MetricKind::kCounter, "",
    "Times a reader waited for a free buffer (backpressure)"};
inline constexpr MetricDef kBufferPoolAllocated{
    "logagent_buffer_pool_allocated", MetricKind::kGauge, "",
    "Pooled buffers allocated now, checked out or kept for reuse; kept ones a burst no longer "
    "needs are freed every 10 s"};
inline constexpr MetricDef kAgentMetrics[] = {
    kBuildInfo,           kBufferPoolInUse,      kBufferPoolCapacity,
    kBufferPoolHighWater, kBufferPoolChunkBytes, kBufferPoolWaits,
    kBufferPoolAllocated};

// Sets logagent_build_info{version} and registers the pool's sampler on `metrics` (for the life
// of the registry, which `pool` must outlive).
void register_agent_metrics(MetricsRegistry& metrics, const BufferPool& pool,
                            std::string_view version);

}  // namespace logagent
