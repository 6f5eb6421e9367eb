// The "throttle" processor: at most `events_per_second` events per key, excess dropped.
//
//   - type: throttle
//     events_per_second: 100
//     by: service          # default "" = one global bucket; "message" or a field's name
//     max_keys: 10000
//
// One token bucket per key: capacity events_per_second (the burst), refilled continuously at
// events_per_second. An event takes a token or is dropped (kEventDropped; it still counts as
// acknowledged). Events without the `by` field share the bucket of the empty key. The clock is
// read once per batch. The key map is bounded by max_keys: when a new key finds it full, buckets
// idle long enough to be full again are forgotten (exact: a full bucket equals a new one), and if
// none is, the whole map is reset.
//
// Metrics: logagent_processor_events_total{stage="throttle",result="kept"|"throttled"}, and
// logagent_processor_throttle_resets_total{stage}, once per batch.
//
// Threads: a stage instance serves one lane; the limit applies per lane.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/api/metrics.h"
#include "agent/api/options.h"
#include "agent/api/plugin.h"
#include "plugins/common/processor_metrics.h"

namespace logagent::plugins::throttle {

inline constexpr MetricDef kThrottleResets{
    "logagent_processor_throttle_resets_total", MetricKind::kCounter, "pipeline,stage",
    "Times the throttle's key map was full of active keys and was reset"};

struct ThrottleOptions {
  uint64_t events_per_second = 1000;
  std::string by;
  uint64_t max_keys = 10000;
  static const Schema<ThrottleOptions>& schema();
};

class ThrottleStage final : public Stage {
 public:
  using Clock = std::function<int64_t()>;  // monotonic nanoseconds
  static int64_t steady_now_ns();

  ThrottleStage(const ThrottleOptions& o, const MetricsScope& metrics, Clock clock = steady_now_ns);
  void process(Batch& batch) override;
  size_t keys() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_ns = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Bucket& bucket(std::string_view key, int64_t now);
  void make_room(int64_t now);

  double rate_;
  std::string by_;
  size_t max_keys_;
  Clock clock_;
  std::unordered_map<std::string, Bucket, Hash, std::equal_to<>> buckets_;
  uint64_t resets_ = 0;  // in the current batch
  Counter kept_;
  Counter throttled_;
  Counter resets_total_;
};

struct ThrottlePlugin {
  static constexpr std::string_view kName = "throttle";
  using Options = ThrottleOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::throttle

namespace logagent {
template <>
struct PluginMetrics<plugins::throttle::ThrottlePlugin> {
  static std::vector<MetricDef> defs() {
    return {plugins::kProcessorEvents, plugins::throttle::kThrottleResets};
  }
};
}  // namespace logagent
