// The C heap behind everything that is not pooled: what malloc holds, what it keeps after free,
// and giving the kept part back.
//
// glibc's malloc returns freed memory to the kernel only from the top of a heap; a burst that
// fills the middle of its arenas (librdkafka's per-message records while a broker stalls, batch
// payloads) stays resident afterwards, and malloc_trim cannot undo it while steady traffic keeps
// re-touching the freed space. perf/soak.py measured it: live heap flat (heaptrack), RSS up by
// 33-520 KiB/min in steps, ~20 MiB of "free" heap held after a one-second stall. jemalloc (linked
// by default, CMake LOGAGENT_JEMALLOC) gives such memory back within a second or two (1 s decay,
// purged by its background thread).
//
// configure_allocator() turns jemalloc's background purge on, sets the decay and names the
// allocator for the start-up log. trim_heap() purges every jemalloc arena, or calls malloc_trim(0)
// under glibc; the supervisor calls it every kHeapTrimInterval (after freeing the buffer pool's
// surplus). The logagent_heap_bytes gauges tell a leak (in_use grows) from retention (free grows).
//
// Threads: any thread.
#pragma once

#include <chrono>
#include <string>

#include "agent/api/metrics.h"

namespace logagent {

class MetricsRegistry;

inline constexpr std::chrono::seconds kHeapTrimInterval{10};

// Call early in main(). Returns e.g. "jemalloc 5.3.0 (background purge)".
std::string configure_allocator();

struct HeapStats {
  bool known = false;       // false when the allocator does not tell
  double in_use_bytes = 0;  // allocated and not freed
  double free_bytes = 0;    // held by the allocator beyond in_use (resident or not under glibc)
};
HeapStats heap_stats();

// Returns the allocator's free pages to the kernel. True when something was released.
bool trim_heap();

inline constexpr MetricDef kHeapBytes{
    "logagent_heap_bytes", MetricKind::kGauge, "state",
    "C heap bytes: in_use (allocated by the agent and librdkafka), free (held by the allocator "
    "beyond that) -- a leak grows in_use, retention grows free"};
inline constexpr MetricDef kHeapTrims{
    "logagent_heap_trims_total", MetricKind::kCounter, "",
    "Times the allocator's free pages were given back to the kernel (every 10 s, after the "
    "buffer pool's surplus is freed; jemalloc purge, or malloc_trim under glibc)"};
inline constexpr MetricDef kHeapTrimSeconds{"logagent_heap_trim_seconds_total",
                                            MetricKind::kCounter, "",
                                            "Time spent giving free heap pages back to the kernel"};
inline constexpr MetricDef kHeapMetrics[] = {kHeapBytes, kHeapTrims, kHeapTrimSeconds};

// kHeapBytes{state="in_use"|"free"} (scrape time); kHeapTrims and kHeapTrimSeconds are updated
// by HeapTrimmer.
void register_heap_metrics(MetricsRegistry& metrics);

// Runs trim_heap() every `interval`, counting the runs and their time. The caller asks due()
// and then calls trim(), so that it can free its own caches first (the buffer pool's surplus).
class HeapTrimmer {
 public:
  explicit HeapTrimmer(MetricsRegistry& metrics,
                       std::chrono::steady_clock::duration interval = kHeapTrimInterval);
  bool due(std::chrono::steady_clock::time_point now) const { return now - last_ >= interval_; }
  void trim(std::chrono::steady_clock::time_point now);

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_;
  Counter trims_;
  Counter seconds_;
};

}  // namespace logagent
