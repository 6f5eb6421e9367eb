#include "plugins/processors/throttle/throttle_stage.h"

#include <algorithm>
#include <chrono>

#include "agent/core/clock.h"
#include "plugins/common/field_edit.h"

namespace logagent::plugins::throttle {
namespace {
constexpr int64_t kRefillNs = 1'000'000'000;  // a bucket refills completely in a second
}  // namespace

const Schema<ThrottleOptions>& ThrottleOptions::schema() {
  static const Schema<ThrottleOptions> s = [] {
    Schema<ThrottleOptions> schema;
    schema
        .field("events_per_second", &ThrottleOptions::events_per_second,
               "Events let through per second and per key (also the burst); the rest are "
               "dropped and counted.")
        .field("by", &ThrottleOptions::by,
               "The field whose value is the key (`message` or a field's name); empty: one "
               "limit for all events.")
        .field("max_keys", &ThrottleOptions::max_keys,
               "Keys tracked at most; idle keys are forgotten first, else all are reset.")
        .rule([](const ThrottleOptions& o) -> std::optional<std::string> {
          if (o.events_per_second == 0) return "events_per_second must be at least 1";
          if (o.max_keys == 0) return "max_keys must be at least 1";
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

int64_t ThrottleStage::steady_now_ns() { return mono_now_ns(); }

ThrottleStage::ThrottleStage(const ThrottleOptions& o, const MetricsScope& metrics, Clock clock)
    : rate_(static_cast<double>(std::max<uint64_t>(o.events_per_second, 1))),
      by_(o.by),
      max_keys_(static_cast<size_t>(std::max<uint64_t>(o.max_keys, 1))),
      clock_(std::move(clock)),
      kept_(metrics.counter(kProcessorEvents, {{"result", "kept"}})),
      throttled_(metrics.counter(kProcessorEvents, {{"result", "throttled"}})),
      resets_total_(metrics.counter(kThrottleResets)) {}

void ThrottleStage::make_room(int64_t now) {
  // A bucket idle for capacity/rate (one second) is full again: forgetting it changes nothing.
  std::erase_if(buckets_,
                [now](const auto& kv) { return now - kv.second.updated_ns >= kRefillNs; });
  if (buckets_.size() >= max_keys_) {
    buckets_.clear();
    ++resets_;
  }
}

ThrottleStage::Bucket& ThrottleStage::bucket(std::string_view key, int64_t now) {
  auto it = buckets_.find(key);
  if (it != buckets_.end()) {
    Bucket& b = it->second;
    const double elapsed_s = static_cast<double>(std::max<int64_t>(now - b.updated_ns, 0)) / 1e9;
    b.tokens = std::min(rate_, b.tokens + elapsed_s * rate_);
    b.updated_ns = now;
    return b;
  }
  if (buckets_.size() >= max_keys_) make_room(now);
  return buckets_.emplace(std::string(key), Bucket{rate_, now}).first->second;
}

void ThrottleStage::process(Batch& batch) {
  const int64_t now = clock_();
  uint64_t kept = 0;
  uint64_t throttled = 0;
  resets_ = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    Event& e = batch.events[i];
    if ((e.flags & kEventDropped) != 0) continue;
    std::string_view key;
    if (!by_.empty()) key = field_value(batch, i, by_).value_or(std::string_view());
    Bucket& b = bucket(key, now);
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      ++kept;
    } else {
      e.flags |= kEventDropped;
      ++throttled;
    }
  }
  if (kept > 0) kept_.add(static_cast<double>(kept));
  if (throttled > 0) throttled_.add(static_cast<double>(throttled));
  if (resets_ > 0) resets_total_.add(static_cast<double>(resets_));
}

Result<std::unique_ptr<Stage>> ThrottlePlugin::create(const Options& o, const PluginContext& ctx) {
  return std::unique_ptr<Stage>(std::make_unique<ThrottleStage>(
      o, ctx.metrics.with_default({{"stage", std::string(kName)}})));
}

}  // namespace logagent::plugins::throttle
