// TailMetrics: every metric the tail input updates, declared once (kTailMetrics).
//
// Made from the pipeline's MetricsScope ({pipeline} label). Lines and bytes read are counted by
// the pipeline's emit() (logagent_input_lines_total / logagent_input_bytes_total) so they are
// not repeated here. Counters are updated once per batch or per file event, never per line.
// Threads: handles are thread-safe; in practice only the input thread updates them.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "agent/api/input_metrics.h"
#include "agent/api/metrics.h"
#include "plugins/inputs/tail/multiline.h"

namespace logagent::plugins::tail {

inline constexpr MetricDef kRotations{"logagent_input_rotations_total", MetricKind::kCounter,
                                      "pipeline", "Files seen rotated (renamed or replaced)"};
inline constexpr MetricDef kTruncations{
    "logagent_input_truncations_total", MetricKind::kCounter, "pipeline",
    "Files seen truncated (copy-truncate); reading restarted at 0"};
inline constexpr MetricDef kLinesTruncated{"logagent_input_lines_truncated_total",
                                           MetricKind::kCounter, "pipeline",
                                           "Lines longer than max_line_bytes, cut and flagged"};
inline constexpr MetricDef kOpenErrors{"logagent_input_open_errors_total", MetricKind::kCounter,
                                       "pipeline", "Files that could not be opened (retried)"};
inline constexpr MetricDef kReadErrors{"logagent_input_read_errors_total", MetricKind::kCounter,
                                       "pipeline", "Failed reads of open files (retried)"};
inline constexpr MetricDef kRescans{
    "logagent_input_rescans_total", MetricKind::kCounter, "pipeline",
    "Glob rescans (each lists and stats only what inotify did not vouch for)"};
inline constexpr MetricDef kInotifyOverflows{"logagent_input_inotify_overflows_total",
                                             MetricKind::kCounter, "pipeline",
                                             "inotify queue overflows (each forces a full rescan)"};
inline constexpr MetricDef kFilesClosedIdle{
    "logagent_input_files_closed_idle_total", MetricKind::kCounter, "pipeline",
    "Idle files closed to honour max_open_files (after idle_close_after)"};
inline constexpr MetricDef kMultilineJoined{
    "logagent_multiline_joined_events_total", MetricKind::kCounter, "pipeline",
    "Events made of more than one line by multiline joining"};
inline constexpr MetricDef kBytesAbandoned{
    "logagent_input_bytes_abandoned_total", MetricKind::kCounter, "pipeline,reason",
    "Unread bytes of deleted files given up past deleted_max_pinned (reason deleted_pinned_cap) or "
    "deleted_max_age (deleted_age_cap): never silent"};
inline constexpr MetricDef kFilesLost = kInputFilesLost;  // shared with other inputs
inline constexpr MetricDef kMultilineFlushes{
    "logagent_multiline_flushes_total", MetricKind::kCounter, "pipeline,reason",
    "Multiline events emitted without waiting for the next line: cut at max_lines or max_bytes "
    "(flagged truncated), idle for flush_after, or at the end of a file (eof)"};
inline constexpr MetricDef kFilesOpen{"logagent_files_open", MetricKind::kGauge, "pipeline",
                                      "Files currently open by tailers"};
inline constexpr MetricDef kFilesWatched{"logagent_input_files_watched", MetricKind::kGauge,
                                         "pipeline", "Files tracked by the tail input"};
inline constexpr MetricDef kInotifyFallback{
    "logagent_input_inotify_fallback", MetricKind::kGauge, "pipeline",
    "1 when inotify is unavailable and files are polled every poll_interval"};

// kubernetes.api (pod_watcher.h): made only when it is enabled.
inline constexpr MetricDef kKubeApiLists{"logagent_kubernetes_api_lists_total",
                                         MetricKind::kCounter, "pipeline",
                                         "Pod LISTs completed (the first, and each after a 410)"};
inline constexpr MetricDef kKubeApiExpired{
    "logagent_kubernetes_api_watch_expired_total", MetricKind::kCounter, "pipeline",
    "Pod watches answered 410 Gone (their resourceVersion expired), each followed by a LIST"};
inline constexpr MetricDef kKubeApiEvents{"logagent_kubernetes_api_events_total",
                                          MetricKind::kCounter, "pipeline",
                                          "Pod watch events applied to the pod cache"};
inline constexpr MetricDef kKubeApiErrors{
    "logagent_kubernetes_api_errors_total", MetricKind::kCounter, "pipeline",
    "Failed API server requests (each retried after a backoff; the cache is kept)"};
inline constexpr MetricDef kKubeApiCut{
    "logagent_kubernetes_api_metadata_cut_total", MetricKind::kCounter, "pipeline",
    "Selected labels and annotations left out of a pod's description for max_pod_bytes"};
inline constexpr MetricDef kKubeApiDropped{
    "logagent_kubernetes_api_pods_dropped_total", MetricKind::kCounter, "pipeline",
    "Pods not cached because max_pods were already (their files get no labels)"};
inline constexpr MetricDef kKubeApiPods{"logagent_kubernetes_api_pods", MetricKind::kGauge,
                                        "pipeline", "Pods in the pod metadata cache"};

inline constexpr MetricDef kTailMetrics[] = {
    kRotations,      kTruncations,      kLinesTruncated,  kOpenErrors,      kReadErrors,
    kRescans,        kInotifyOverflows, kFilesClosedIdle, kMultilineJoined, kBytesAbandoned,
    kFilesLost,      kMultilineFlushes, kFilesOpen,       kFilesWatched,    kInotifyFallback,
    kKubeApiLists,   kKubeApiExpired,   kKubeApiEvents,   kKubeApiErrors,   kKubeApiCut,
    kKubeApiDropped, kKubeApiPods};

struct TailMetrics {
  Counter rotations, truncations, lines_truncated, open_errors, read_errors, rescans,
      inotify_overflows, files_closed_idle, multiline_joined;
  Gauge files_open, files_watched, inotify_fallback;
  // kBytesAbandoned{reason=deleted_pinned_cap|deleted_age_cap}
  Counter abandoned_pinned_cap;
  Counter abandoned_age_cap;
  // kFilesLost{reason=deleted|overwritten|moved_away}: files that arrived under a matched name
  // and were gone before they could be opened.
  Counter lost_deleted;
  Counter lost_overwritten;
  Counter lost_moved_away;
  const Counter& lost(std::string_view reason) const;
  // kMultilineFlushes{reason=...}: multiline events emitted before a line that does not continue
  // them arrived, indexed by FlushReason.
  std::array<Counter, kFlushReasons> multiline_flushes;

  // Adds a joiner's counts (once per batch).
  void add(const MultilineCounts& counts) const;

  explicit TailMetrics(const MetricsScope& scope);
};

}  // namespace logagent::plugins::tail

namespace logagent {
namespace plugins::tail {
class TailInput;
}  // namespace plugins::tail
template <>
struct PluginMetrics<plugins::tail::TailInput> {
  static std::vector<MetricDef> defs() {
    return {std::begin(plugins::tail::kTailMetrics), std::end(plugins::tail::kTailMetrics)};
  }
};
}  // namespace logagent
