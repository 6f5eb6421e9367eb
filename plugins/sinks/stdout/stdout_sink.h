// The "stdout" sink: events to standard output, raw or json. Acknowledges after write(2).
#pragma once

#include <unistd.h>

#include "agent/api/options.h"
#include "agent/api/plugin.h"
#include "plugins/common/fd_sink.h"

namespace logagent::plugins::stdout_sink {

struct StdoutOptions {
  EventFormat format = EventFormat::kRaw;
  static const Schema<StdoutOptions>& schema() {
    static const Schema<StdoutOptions> s = Schema<StdoutOptions>().field(
        "format", &StdoutOptions::format,
        "raw: the line as read, then a newline; json: one object a line.");
    return s;
  }
};

struct StdoutSink {
  static constexpr std::string_view kName = "stdout";
  using Options = StdoutOptions;
  static Result<std::unique_ptr<Sink>> create(const Options& o, const PluginContext& ctx) {
    return std::unique_ptr<Sink>(std::make_unique<FdSink>(
        STDOUT_FILENO, false, "stdout", EncodeSpec{o.format, Compression::kNone, 0}, false, ctx));
  }
};

}  // namespace logagent::plugins::stdout_sink

namespace logagent {
template <>
struct PluginMetrics<plugins::stdout_sink::StdoutSink> {
  static std::vector<MetricDef> defs() { return {kSinkWriteErrors}; }
};
}  // namespace logagent
