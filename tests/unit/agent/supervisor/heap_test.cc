#include "agent/supervisor/heap.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "agent/metrics/metrics_registry.h"
#include "agent/metrics/process_metrics.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LOGAGENT_SANITIZED_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LOGAGENT_SANITIZED_MALLOC 1
#endif
#endif

namespace logagent {
namespace {

double metric_value(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  REQUIRE_MESSAGE(at != std::string::npos, series);
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

#ifndef LOGAGENT_SANITIZED_MALLOC  // sanitizers bring their own allocator, which does not tell
TEST_CASE("heap: freed memory is counted as free and trimming gives it back to the kernel") {
  INFO("allocator: " << configure_allocator());
  // 2,048 blocks of 8 KiB (glibc: below the mmap threshold, so from the heap; jemalloc: a small
  // size class, so from slabs), every page touched; all but the last freed, so that under glibc
  // the heap's top stays in use and free() alone cannot shrink it.
  constexpr size_t kBlock = 8 * 1024;
  constexpr size_t kBlocks = 2048;  // 16 MiB
  // What earlier tests freed goes back first: else the allocator's background purge may return
  // it during this test and make "free" shrink by as much as it grew (failed after other tests).
  trim_heap();
  const HeapStats before = heap_stats();
  REQUIRE(before.known);
  std::vector<char*> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(kBlock)));
    std::memset(blocks.back(), 0x5a, kBlock);
  }
  const HeapStats full = heap_stats();
  CHECK(full.in_use_bytes - before.in_use_bytes >= 15.0 * 1024 * 1024);
  for (size_t i = 0; i + 1 < kBlocks; ++i) std::free(blocks[i]);
  const HeapStats freed = heap_stats();
  CHECK(freed.free_bytes - before.free_bytes >= 15.0 * 1024 * 1024);
  ProcessSample rss_freed;
  REQUIRE(read_process_sample(rss_freed));

  CHECK(trim_heap());
  ProcessSample rss_trimmed;
  REQUIRE(read_process_sample(rss_trimmed));
  // Resident size follows: at least 12 of the 16 MiB freed leave the process.
  CHECK_MESSAGE(
      rss_freed.rss_bytes - rss_trimmed.rss_bytes >= 12.0 * 1024 * 1024,
      "rss after free " << rss_freed.rss_bytes << ", after trim " << rss_trimmed.rss_bytes);
  std::free(blocks.back());
}
#endif

TEST_CASE("heap: the trimmer runs once per interval and counts its runs") {
  MetricsRegistry metrics;
  register_heap_metrics(metrics);
  HeapTrimmer trimmer(metrics, std::chrono::seconds(10));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(trimmer.due(t0));  // constructed just now
  CHECK(metric_value(metrics.render(), "logagent_heap_trims_total") == 0);
  REQUIRE(trimmer.due(t0 + std::chrono::seconds(11)));
  trimmer.trim(t0 + std::chrono::seconds(11));
  CHECK_FALSE(trimmer.due(t0 + std::chrono::seconds(12)));  // within 10 s of the last run
  CHECK(trimmer.due(t0 + std::chrono::seconds(21)));
  std::string text = metrics.render();
  CHECK(metric_value(text, "logagent_heap_trims_total") == 1);
  CHECK(metric_value(text, "logagent_heap_trim_seconds_total") >= 0);
#ifndef LOGAGENT_SANITIZED_MALLOC
  CHECK(metric_value(text, "logagent_heap_bytes{state=\"in_use\"}") > 0);
  CHECK(text.find("logagent_heap_bytes{state=\"free\"}") != std::string::npos);
#endif
}

}  // namespace logagent
