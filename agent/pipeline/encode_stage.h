// EncodeStage: the lane's encode step. Encodes each batch once per EncodeSpec that the
// pipeline's sinks asked for (Sink::encoding()) and, for zstd, compresses it as one independent
// frame -- on its own lane thread, so sinks only write or produce finished bytes and
// compression runs in parallel with parsing and sending.
//
// The payloads live in the batch (Batch::payloads) until it is acknowledged; their size is
// bounded by the batch, so by the buffer pool. Counters: logagent_encode_input_bytes_total and
// logagent_encode_output_bytes_total (label codec) give the compression ratio.
//
// Threads: one instance per lane, used by that lane's thread only.
#pragma once

#include <string>
#include <vector>

#include "agent/api/encoding.h"
#include "agent/api/metrics.h"
#include "agent/api/plugin.h"
#include "agent/codec/zstd_frame.h"

namespace logagent {

inline constexpr MetricDef kEncodeErrors{
    "logagent_encode_errors_total", MetricKind::kCounter, "pipeline,stage",
    "Batches the lane's encode step could not compress (their sinks encode them instead)"};
inline constexpr MetricDef kEncodeInputBytes{"logagent_encode_input_bytes_total",
                                             MetricKind::kCounter, "pipeline,stage,codec",
                                             "Bytes the lane's encode step encoded"};
inline constexpr MetricDef kEncodeOutputBytes{
    "logagent_encode_output_bytes_total", MetricKind::kCounter, "pipeline,stage,codec",
    "Bytes the lane's encode step produced, after compression (with the input bytes: the "
    "compression ratio)"};
inline constexpr MetricDef kEncodeMetrics[] = {kEncodeErrors, kEncodeInputBytes,
                                               kEncodeOutputBytes};

class EncodeStage final : public Stage {
 public:
  EncodeStage(std::vector<EncodeSpec> specs, const MetricsScope& metrics);
  void process(Batch& batch) override;

 private:
  struct Output {
    EncodeSpec spec;
    Counter in, out;
  };
  std::vector<Output> outputs_;
  ZstdFrameCompressor zstd_;
  std::string plain_;  // scratch: the encoded events before compression
  Counter errors_;
};

}  // namespace logagent
