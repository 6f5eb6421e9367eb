// TailMetrics: every metric the tail input updates, declared once.
//
// Made from the pipeline's MetricsScope ({pipeline} label). Lines and bytes read are counted by
// the pipeline's emit() (logagent_input_lines_total / logagent_input_bytes_total) so they are
// not repeated here. Counters are updated once per batch or per file event, never per line.
// Threads: handles are thread-safe; in practice only the input thread updates them.
#pragma once

#include <array>
#include <string_view>

#include "agent/api/metrics.h"
#include "plugins/inputs/tail/multiline.h"

namespace logagent::plugins::tail {

// X(member, name, help)
#define LOGAGENT_TAIL_COUNTERS(X)                                                            \
  X(rotations, "logagent_input_rotations_total", "Files seen rotated (renamed or replaced)") \
  X(truncations, "logagent_input_truncations_total",                                         \
    "Files seen truncated (copy-truncate); reading restarted at 0")                          \
  X(lines_truncated, "logagent_input_lines_truncated_total",                                 \
    "Lines longer than max_line_bytes, cut and flagged")                                     \
  X(open_errors, "logagent_input_open_errors_total", "Files that could not be opened")       \
  X(read_errors, "logagent_input_read_errors_total", "Failed reads of open files")           \
  X(rescans, "logagent_input_rescans_total", "Full glob rescans")                            \
  X(inotify_overflows, "logagent_input_inotify_overflows_total",                             \
    "inotify queue overflows (each forces a full rescan)")                                   \
  X(files_closed_idle, "logagent_input_files_closed_idle_total",                             \
    "Idle files closed to honour max_open_files")                                            \
  X(multiline_joined, "logagent_multiline_joined_events_total",                              \
    "Events made of more than one line by multiline joining")

#define LOGAGENT_TAIL_GAUGES(X)                                                       \
  X(files_open, "logagent_files_open", "Files currently open by tailers")             \
  X(files_watched, "logagent_input_files_watched", "Files tracked by the tail input") \
  X(inotify_fallback, "logagent_input_inotify_fallback",                              \
    "1 when inotify is unavailable and files are polled every poll_interval")

struct TailMetrics {
#define LOGAGENT_TAIL_DECLARE_COUNTER(member, name, help) Counter member;
#define LOGAGENT_TAIL_DECLARE_GAUGE(member, name, help) Gauge member;
  LOGAGENT_TAIL_COUNTERS(LOGAGENT_TAIL_DECLARE_COUNTER)
  LOGAGENT_TAIL_GAUGES(LOGAGENT_TAIL_DECLARE_GAUGE)
#undef LOGAGENT_TAIL_DECLARE_COUNTER
#undef LOGAGENT_TAIL_DECLARE_GAUGE
  // logagent_input_bytes_abandoned_total{reason=...}
  Counter abandoned_pinned_cap;
  Counter abandoned_age_cap;
  // logagent_input_files_lost_total{reason=deleted|overwritten|moved_away}: files that arrived
  // under a matched name and were gone before they could be opened.
  Counter lost_deleted;
  Counter lost_overwritten;
  Counter lost_moved_away;
  const Counter& lost(std::string_view reason) const;
  // logagent_multiline_flushes_total{reason=...}: multiline events emitted before a line that
  // does not continue them arrived, indexed by FlushReason.
  std::array<Counter, kFlushReasons> multiline_flushes;

  // Adds a joiner's counts (once per batch).
  void add(const MultilineCounts& counts) const;

  explicit TailMetrics(const MetricsScope& scope);
};

}  // namespace logagent::plugins::tail
