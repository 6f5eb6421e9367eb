#include "plugins/processors/timestamp/timestamp_stage.h"

#include <utility>

#include "agent/api/batch.h"
#include "plugins/common/field_edit.h"

namespace logagent::plugins::timestamp {
namespace {

constexpr std::string_view kErrorKey = "_error";
constexpr const char* kMissing = "missing";
constexpr const char* kWrongType = "timestamp: the field is neither a string nor a number";

}  // namespace

const Schema<TimestampOptions>& TimestampOptions::schema() {
  static const Schema<TimestampOptions> s = [] {
    Schema<TimestampOptions> schema;
    schema
        .field("field", &TimestampOptions::field,
               "The field holding the time (a string, or a number for the epoch formats); "
               "`message` parses the whole line. Events without it keep the read time.")
        .field("format", &TimestampOptions::format,
               "rfc3339 (fraction and Z/±hh:mm offset), epoch_s, epoch_ms, epoch_us, epoch_ns "
               "(fraction allowed), or a pattern with %Y %y %m %b %d %e %j %H %M %S %T %f %z %a "
               "%% such as \"%d/%b/%Y:%H:%M:%S %z\"; without a year, the read time's year (a "
               "December time read in January is from the previous year).")
        .field("timezone", &TimestampOptions::timezone,
               "For times without an offset: UTC or a fixed offset such as +02:00.")
        .field("on_error", &TimestampOptions::on_error,
               "For values that do not parse: keep leaves the read time, marks the event and "
               "adds an `_error` field with the reason; drop drops it (it still counts as "
               "delivered).")
        .field("remove_field", &TimestampOptions::remove_field,
               "Remove the field from events whose time was taken from it.")
        .rule([](const TimestampOptions& o) -> std::optional<std::string> {
          if (o.field.empty()) return "field must not be empty";
          if (o.remove_field && o.field == "message") return "'message' cannot be removed";
          auto f = TimeFormat::compile(o.format);
          if (!f) return f.message();
          auto tz = parse_utc_offset(o.timezone);
          if (!tz) return "timezone " + tz.message();
          return std::nullopt;
        });
    return schema;
  }();
  return s;
}

TimestampStage::TimestampStage(const TimestampOptions& o, TimeFormat format, int32_t offset_s,
                               const MetricsScope& metrics)
    : field_(o.field),
      format_(std::move(format)),
      offset_s_(offset_s),
      drop_(o.on_error == OnError::kDrop),
      remove_field_(o.remove_field),
      ok_(metrics.counter(kTimestampEvents, {{"result", "ok"}})),
      error_(metrics.counter(kTimestampEvents, {{"result", "error"}})),
      missing_(metrics.counter(kTimestampEvents, {{"result", "missing"}})) {}

const char* TimestampStage::source_text(const Batch& batch, size_t i,
                                        std::string_view& text) const {
  if (field_ == "message") {
    text = batch.events[i].message;
    return nullptr;
  }
  const size_t f = find_field(batch, i, field_);
  if (f == kNoField) return kMissing;
  const Field& field = batch.fields[f];
  if (field.type != FieldType::kString && field.type != FieldType::kNumber) return kWrongType;
  text = field.value;
  return nullptr;
}

void TimestampStage::process(Batch& batch) {
  const size_t n = batch.events.size();
  if (n == 0) return;
  if (batch.event_times.size() != n) batch.event_times.resize(n, 0);
  const ParseContext ctx{offset_s_, batch.read_time_ns};
  uint64_t ok = 0;
  uint64_t errors = 0;
  uint64_t missing = 0;
  for (size_t i = 0; i < n; ++i) {
    Event& e = batch.events[i];
    if (e.flags & kEventDropped) continue;
    std::string_view text;
    const char* error = source_text(batch, i, text);
    if (error == kMissing) {
      ++missing;
      continue;
    }
    int64_t unix_ns = 0;
    if (error == nullptr) error = format_.parse(text, ctx, unix_ns);
    if (error == nullptr) {
      batch.event_times[i] = unix_ns;
      if (remove_field_) remove_event_field(batch, i, field_);
      ++ok;
      continue;
    }
    ++errors;
    if (drop_) {
      e.flags |= kEventDropped;
      continue;
    }
    e.flags |= kEventParseError;
    append_event_field(batch, i, Field{kErrorKey, error, FieldType::kString});
  }
  if (ok > 0) ok_.add(static_cast<double>(ok));
  if (errors > 0) error_.add(static_cast<double>(errors));
  if (missing > 0) missing_.add(static_cast<double>(missing));
}

Result<std::unique_ptr<Stage>> TimestampPlugin::create(const Options& o, const PluginContext& ctx) {
  auto format = TimeFormat::compile(o.format);
  if (!format) return format.status();
  auto offset = parse_utc_offset(o.timezone);
  if (!offset) return Status::error("timezone " + offset.message());
  return std::unique_ptr<Stage>(
      std::make_unique<TimestampStage>(o, std::move(format.value()), offset.value(),
                                       ctx.metrics.with_default({{"stage", std::string(kName)}})));
}

}  // namespace logagent::plugins::timestamp
