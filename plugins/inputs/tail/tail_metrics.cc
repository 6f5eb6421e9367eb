#include "plugins/inputs/tail/tail_metrics.h"

namespace logagent::plugins::tail {

namespace {
constexpr const char* kAbandonedName = "logagent_input_bytes_abandoned_total";
constexpr const char* kAbandonedHelp =
    "Unread bytes of deleted files given up past deleted_max_pinned or deleted_max_age";
}  // namespace

#define LOGAGENT_TAIL_INIT_COUNTER(member, name, help) member(scope.counter(name, help)),
#define LOGAGENT_TAIL_INIT_GAUGE(member, name, help) member(scope.gauge(name, help)),

TailMetrics::TailMetrics(const MetricsScope& scope)
    : LOGAGENT_TAIL_COUNTERS(LOGAGENT_TAIL_INIT_COUNTER)
          LOGAGENT_TAIL_GAUGES(LOGAGENT_TAIL_INIT_GAUGE) abandoned_pinned_cap(
              scope.counter(kAbandonedName, kAbandonedHelp, {{"reason", "deleted_pinned_cap"}})),
      abandoned_age_cap(
          scope.counter(kAbandonedName, kAbandonedHelp, {{"reason", "deleted_age_cap"}})) {}

#undef LOGAGENT_TAIL_INIT_COUNTER
#undef LOGAGENT_TAIL_INIT_GAUGE

}  // namespace logagent::plugins::tail
