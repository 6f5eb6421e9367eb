#include "agent/supervisor/heap.h"

#include <malloc.h>

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "agent/metrics/metrics_registry.h"

// jemalloc's control interface, present when the binary links jemalloc (CMake
// LOGAGENT_JEMALLOC) or runs with it preloaded; null otherwise. Declared weak so that one build
// of this file serves both.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace logagent {
namespace {

bool have_jemalloc() { return mallctl != nullptr; }

template <class T>
bool read_ctl(const char* name, T& out) {
  size_t len = sizeof(T);
  return mallctl(name, &out, &len, nullptr, 0) == 0 && len == sizeof(T);
}

}  // namespace

std::string configure_allocator() {
  if (have_jemalloc()) {
    // Purge a burst's freed pages from a background thread as they age (dirty_decay_ms, 10 s
    // by default), not only when some thread happens to allocate.
    bool on = true;
    const bool background = mallctl("background_thread", nullptr, nullptr, &on, sizeof(on)) == 0;
    // Pages unused for a second go back (jemalloc's default is 10 s), straight to the kernel
    // (no lazy MADV_FREE stage, which RSS would still count). Arena 0 exists already; the others
    // are created on demand as threads start, with the arenas.* defaults.
    ssize_t dirty_ms = 1000;
    ssize_t muzzy_ms = 0;
    mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &dirty_ms, sizeof(dirty_ms));
    mallctl("arenas.muzzy_decay_ms", nullptr, nullptr, &muzzy_ms, sizeof(muzzy_ms));
    mallctl("arena.0.dirty_decay_ms", nullptr, nullptr, &dirty_ms, sizeof(dirty_ms));
    mallctl("arena.0.muzzy_decay_ms", nullptr, nullptr, &muzzy_ms, sizeof(muzzy_ms));
    const char* version = nullptr;
    read_ctl("version", version);
    std::string v = version != nullptr ? version : "?";
    v = v.substr(0, v.find("-0-g"));  // "5.3.0-0-g54eaed1d8b56..." -> "5.3.0"
    return "jemalloc " + v +
           (background ? " (background purge)" : " (background purge unavailable)");
  }
#if defined(__GLIBC__)
  return "glibc malloc (trimmed every " + std::to_string(kHeapTrimInterval.count()) + " s)";
#else
  return "the C library's malloc";
#endif
}

HeapStats heap_stats() {
  HeapStats s;
  if (have_jemalloc()) {
    uint64_t epoch = 1;  // statistics are cached until the epoch advances
    size_t len = sizeof(epoch);
    mallctl("epoch", &epoch, &len, &epoch, sizeof(epoch));
    size_t allocated = 0;
    size_t resident = 0;
    if (read_ctl("stats.allocated", allocated) && read_ctl("stats.resident", resident)) {
      s.known = true;
      s.in_use_bytes = static_cast<double>(allocated);
      s.free_bytes = resident > allocated ? static_cast<double>(resident - allocated) : 0.0;
    }
    return s;
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = ::mallinfo2();
  s.known = true;
  s.in_use_bytes = static_cast<double>(m.uordblks) + static_cast<double>(m.hblkhd);
  s.free_bytes = static_cast<double>(m.fordblks);
#endif
  return s;
}

bool trim_heap() {
  if (have_jemalloc()) {
    // MALLCTL_ARENAS_ALL (4096): every arena's unused dirty pages go back to the kernel now.
    return mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0) == 0;
  }
#if defined(__GLIBC__)
  return ::malloc_trim(0) != 0;
#else
  return false;
#endif
}

void register_heap_metrics(MetricsRegistry& metrics) {
  Gauge in_use(metrics.gauge(kHeapBytes, {{"state", "in_use"}}));
  Gauge free_bytes(metrics.gauge(kHeapBytes, {{"state", "free"}}));
  metrics.add_sampler([=] {
    const HeapStats s = heap_stats();
    if (!s.known) return;
    in_use.set(s.in_use_bytes);
    free_bytes.set(s.free_bytes);
  });
}

HeapTrimmer::HeapTrimmer(MetricsRegistry& metrics, std::chrono::steady_clock::duration interval)
    : interval_(interval),
      last_(std::chrono::steady_clock::now()),
      trims_(metrics.counter(kHeapTrims, {})),
      seconds_(metrics.counter(kHeapTrimSeconds, {})) {}

void HeapTrimmer::trim(std::chrono::steady_clock::time_point now) {
  last_ = now;
  const auto start = std::chrono::steady_clock::now();
  trim_heap();
  trims_.inc();
  seconds_.add(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace logagent
