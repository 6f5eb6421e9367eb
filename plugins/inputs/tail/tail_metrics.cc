#include "plugins/inputs/tail/tail_metrics.h"

#include <string>

namespace logagent::plugins::tail {

TailMetrics::TailMetrics(const MetricsScope& scope)
    : rotations(scope.counter(kRotations)),
      truncations(scope.counter(kTruncations)),
      lines_truncated(scope.counter(kLinesTruncated)),
      open_errors(scope.counter(kOpenErrors)),
      read_errors(scope.counter(kReadErrors)),
      rescans(scope.counter(kRescans)),
      inotify_overflows(scope.counter(kInotifyOverflows)),
      files_closed_idle(scope.counter(kFilesClosedIdle)),
      multiline_joined(scope.counter(kMultilineJoined)),
      files_open(scope.gauge(kFilesOpen)),
      files_watched(scope.gauge(kFilesWatched)),
      inotify_fallback(scope.gauge(kInotifyFallback)),
      abandoned_pinned_cap(scope.counter(kBytesAbandoned, {{"reason", "deleted_pinned_cap"}})),
      abandoned_age_cap(scope.counter(kBytesAbandoned, {{"reason", "deleted_age_cap"}})),
      lost_deleted(scope.counter(kFilesLost, {{"reason", "deleted"}})),
      lost_overwritten(scope.counter(kFilesLost, {{"reason", "overwritten"}})),
      lost_moved_away(scope.counter(kFilesLost, {{"reason", "moved_away"}})) {
  for (size_t i = 0; i < kFlushReasons; ++i) {
    const std::string reason(flush_reason_name(static_cast<FlushReason>(i)));
    multiline_flushes[i] = scope.counter(kMultilineFlushes, {{"reason", reason}});
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

}  // namespace logagent::plugins::tail
