// The "timestamp" processor: takes each event's time from one of its fields, else the read time.
//
//   - type: timestamp
//     field: time                  # default "time"; "message" parses the whole line
//     format: rfc3339              # rfc3339 | epoch_s | epoch_ms | epoch_us | epoch_ns |
//                                  # a %-pattern, e.g. "%d/%b/%Y:%H:%M:%S %z" (time_format.h)
//     timezone: UTC                # for texts without an offset: UTC or a fixed ±hh:mm
//     on_error: keep               # keep | drop
//     remove_field: false          # remove the field once its time was taken
//
// The time goes to Batch::event_times (event_time_ns() in batch.h), which the json encoding
// writes as "time". The field may be a string or a number (epoch formats). Events without the
// field keep the read time and are counted as "missing". A value that does not parse is an
// error: on_error keep leaves the read time, flags the event kEventParseError and appends an
// `_error` string field with the reason (as parsers do); drop flags it kEventDropped (it still
// counts as acknowledged). remove_field removes the field only from events whose time was taken.
// Formats without a year take it from the batch's read time (rollover rule in time_format.h).
//
// Metrics: logagent_timestamp_events_total{stage="timestamp",result="ok"|"error"|"missing"},
// once per batch.
//
// Threads: a stage instance serves one lane; it allocates nothing per event.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "agent/api/metrics.h"
#include "agent/api/options.h"
#include "agent/api/plugin.h"
#include "plugins/common/parser_stage.h"
#include "plugins/processors/timestamp/time_format.h"

namespace logagent::plugins::timestamp {

inline constexpr MetricDef kTimestampEvents{
    "logagent_timestamp_events_total", MetricKind::kCounter, "pipeline,stage,result",
    "Events a timestamp stage saw: time taken (ok), unparsable (error), field absent (missing)"};

struct TimestampOptions {
  std::string field = "time";
  std::string format = "rfc3339";
  std::string timezone = "UTC";
  OnError on_error = OnError::kKeep;
  bool remove_field = false;
  static const Schema<TimestampOptions>& schema();
};

class TimestampStage final : public Stage {
 public:
  // `format` must come from TimeFormat::compile(o.format), `offset_s` from o.timezone.
  TimestampStage(const TimestampOptions& o, TimeFormat format, int32_t offset_s,
                 const MetricsScope& metrics);
  void process(Batch& batch) override;

 private:
  // The field's text for event `i`: nullptr, or kMissing / an error message.
  const char* source_text(const Batch& batch, size_t i, std::string_view& text) const;

  std::string field_;
  TimeFormat format_;
  int32_t offset_s_;
  bool drop_;
  bool remove_field_;
  Counter ok_;
  Counter error_;
  Counter missing_;
};

struct TimestampPlugin {
  static constexpr std::string_view kName = "timestamp";
  using Options = TimestampOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::timestamp

namespace logagent {
template <>
struct PluginMetrics<plugins::timestamp::TimestampPlugin> {
  static std::vector<MetricDef> defs() { return {plugins::timestamp::kTimestampEvents}; }
};
}  // namespace logagent
