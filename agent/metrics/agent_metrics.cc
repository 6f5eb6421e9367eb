#include "agent/metrics/agent_metrics.h"

#include <algorithm>
#include <string>

namespace logagent {

void register_agent_metrics(MetricsRegistry& metrics, const BufferPool& pool,
                            std::string_view version) {
  Gauge(metrics.gauge(kBuildInfo, {{"version", std::string(version)}})).set(1);
  Gauge in_use(metrics.gauge(kBufferPoolInUse, {}));
  Gauge capacity(metrics.gauge(kBufferPoolCapacity, {}));
  Gauge high(metrics.gauge(kBufferPoolHighWater, {}));
  Gauge bytes(metrics.gauge(kBufferPoolChunkBytes, {}));
  Counter waits(metrics.counter(kBufferPoolWaits, {}));
  Gauge allocated(metrics.gauge(kBufferPoolAllocated, {}));
  uint64_t waits_seen = 0;  // samplers run one at a time (the registry's sampler lock)
  metrics.add_sampler(
      [&pool, in_use, capacity, high, bytes, waits, allocated, waits_seen]() mutable {
        in_use.set(static_cast<double>(pool.in_use()));
        capacity.set(static_cast<double>(pool.capacity()));
        high.set(static_cast<double>(pool.high_water()));
        bytes.set(static_cast<double>(pool.chunk_bytes()));
        // A counter only goes up: add the waits since the last scrape.
        const uint64_t w = pool.waits();
        if (w > waits_seen) waits.add(static_cast<double>(w - waits_seen));
        waits_seen = std::max(waits_seen, w);
        allocated.set(static_cast<double>(pool.allocated()));
      });
}

}  // namespace logagent
