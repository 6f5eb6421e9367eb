#include "plugins/inputs/tail/tail_metrics.h"

#include <string>

namespace logagent::plugins::tail {

namespace {
constexpr const char* kAbandonedName = "logagent_input_bytes_abandoned_total";
constexpr const char* kAbandonedHelp =
    "Unread bytes of deleted files given up past deleted_max_pinned or deleted_max_age";
constexpr const char* kLostName = "logagent_input_files_lost_total";
constexpr const char* kLostHelp =
    "Files whose bytes were gone before they could be read: created under a matched name, then "
    "deleted, renamed over or moved out of the watched directories before the agent could open "
    "them (each is logged with its name)";
constexpr const char* kFlushesName = "logagent_multiline_flushes_total";
constexpr const char* kFlushesHelp =
    "Multiline events emitted without waiting for the next line: cut at max_lines or "
    "max_bytes (flagged truncated), idle for flush_after, or at the end of a file";
}  // namespace

#define LOGAGENT_TAIL_INIT_COUNTER(member, name, help) member(scope.counter(name, help)),
#define LOGAGENT_TAIL_INIT_GAUGE(member, name, help) member(scope.gauge(name, help)),

TailMetrics::TailMetrics(const MetricsScope& scope)
    : LOGAGENT_TAIL_COUNTERS(LOGAGENT_TAIL_INIT_COUNTER)
          LOGAGENT_TAIL_GAUGES(LOGAGENT_TAIL_INIT_GAUGE) abandoned_pinned_cap(
              scope.counter(kAbandonedName, kAbandonedHelp, {{"reason", "deleted_pinned_cap"}})),
      abandoned_age_cap(
          scope.counter(kAbandonedName, kAbandonedHelp, {{"reason", "deleted_age_cap"}})),
      lost_deleted(scope.counter(kLostName, kLostHelp, {{"reason", "deleted"}})),
      lost_overwritten(scope.counter(kLostName, kLostHelp, {{"reason", "overwritten"}})),
      lost_moved_away(scope.counter(kLostName, kLostHelp, {{"reason", "moved_away"}})) {
  for (size_t i = 0; i < kFlushReasons; ++i) {
    const std::string reason(flush_reason_name(static_cast<FlushReason>(i)));
    multiline_flushes[i] = scope.counter(kFlushesName, kFlushesHelp, {{"reason", reason}});
  }
}

const Counter& TailMetrics::lost(std::string_view reason) const {
  if (reason == "overwritten") return lost_overwritten;
  if (reason == "moved_away") return lost_moved_away;
  return lost_deleted;
}

void TailMetrics::add(const MultilineCounts& counts) const {
  if (counts.joined > 0) multiline_joined.add(static_cast<double>(counts.joined));
  for (size_t i = 0; i < kFlushReasons; ++i) {
    if (counts.flushes[i] > 0) multiline_flushes[i].add(static_cast<double>(counts.flushes[i]));
  }
}

#undef LOGAGENT_TAIL_INIT_COUNTER
#undef LOGAGENT_TAIL_INIT_GAUGE

}  // namespace logagent::plugins::tail
