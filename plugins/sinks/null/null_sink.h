// The "null" sink: acknowledges every batch at once and counts it. For benchmarks and for
// pipelines whose only purpose is metrics.
#pragma once

#include "agent/api/options.h"
#include "agent/api/plugin.h"

namespace logagent::plugins::null_sink {

struct NullOptions {
  static const Schema<NullOptions>& schema() {
    static const Schema<NullOptions> s;
    return s;
  }
};

class NullSink final : public Sink {
 public:
  static constexpr std::string_view kName = "null";
  using Options = NullOptions;
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Sink>(new NullSink());
  }
  void write(const Batch&, SinkAck ack) override { ack.delivered(); }
};

}  // namespace logagent::plugins::null_sink
