// Process metrics in the Prometheus client conventions (process_resident_memory_bytes,
// process_cpu_seconds_total, process_open_fds, process_max_fds, process_threads,
// process_virtual_memory_bytes, process_start_time_seconds), read from /proc/self at scrape
// time.
//
// Threads: the sampler runs on the HTTP thread during a scrape.
#pragma once

#include "agent/metrics/metrics_registry.h"

namespace logagent {

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
