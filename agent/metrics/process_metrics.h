// Process metrics in the Prometheus client conventions (process_resident_memory_bytes,
// process_cpu_seconds_total, process_open_fds, process_max_fds, process_threads,
// process_virtual_memory_bytes, process_start_time_seconds), read from /proc/self at scrape
// time.
//
// Threads: the sampler runs on the HTTP thread during a scrape.
#pragma once

#include "agent/metrics/metrics_registry.h"

namespace logagent {

// The names and meanings of the Prometheus client libraries' process collector.
inline constexpr MetricDef kProcessCpuSeconds{"process_cpu_seconds_total", MetricKind::kCounter, "",
                                              "User and system CPU time spent, in seconds"};
inline constexpr MetricDef kProcessResidentMemory{
    "process_resident_memory_bytes", MetricKind::kGauge, "", "Resident memory size in bytes"};
inline constexpr MetricDef kProcessVirtualMemory{"process_virtual_memory_bytes", MetricKind::kGauge,
                                                 "", "Virtual memory size in bytes"};
inline constexpr MetricDef kProcessThreads{"process_threads", MetricKind::kGauge, "",
                                           "Threads of the process"};
inline constexpr MetricDef kProcessStartTime{
    "process_start_time_seconds", MetricKind::kGauge, "",
    "Start time of the process since the Unix epoch, in seconds"};
inline constexpr MetricDef kProcessOpenFds{"process_open_fds", MetricKind::kGauge, "",
                                           "Open file descriptors"};
inline constexpr MetricDef kProcessMaxFds{"process_max_fds", MetricKind::kGauge, "",
                                          "Limit of open file descriptors"};
inline constexpr MetricDef kProcessMetrics[] = {
    kProcessCpuSeconds, kProcessResidentMemory, kProcessVirtualMemory, kProcessThreads,
    kProcessStartTime,  kProcessOpenFds,        kProcessMaxFds};

// Registers the gauges and their sampler on `metrics` (for the life of the registry).
void register_process_metrics(MetricsRegistry& metrics);

struct ProcessSample {
  double cpu_seconds = 0;
  double rss_bytes = 0;
  double vsize_bytes = 0;
  double threads = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  double open_fds = 0;
  double max_fds = 0;
};
// Reads /proc/self; false when /proc is not available.
bool read_process_sample(ProcessSample& out);

}  // namespace logagent
