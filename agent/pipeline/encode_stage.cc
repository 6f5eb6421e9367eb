#include "agent/pipeline/encode_stage.h"

#include <spdlog/spdlog.h>

#include "agent/codec/event_encoder.h"

namespace logagent {

namespace {
const char* codec_label(const EncodeSpec& s) {
  if (s.compression == Compression::kZstd) return "zstd";
  return s.format == EventFormat::kJson ? "json" : "raw";
}
}  // namespace

EncodeStage::EncodeStage(std::vector<EncodeSpec> specs, const MetricsScope& metrics)
    : errors_(metrics.counter(kEncodeErrors)) {
  for (const EncodeSpec& s : specs) {
    const Labels codec{{"codec", codec_label(s)}};
    outputs_.push_back(
        {s, metrics.counter(kEncodeInputBytes, codec), metrics.counter(kEncodeOutputBytes, codec)});
  }
}

void EncodeStage::process(Batch& batch) {
  batch.payloads.clear();
  const size_t live = batch.live_events();
  if (live == 0) return;
  for (Output& o : outputs_) {
    Payload p;
    p.spec = o.spec;
    p.events = live;
    if (o.spec.compression == Compression::kNone) {
      encode_batch(p.bytes, batch, o.spec.format);
      p.plain_bytes = p.bytes.size();
    } else {
      plain_.clear();
      encode_batch(plain_, batch, o.spec.format);
      p.plain_bytes = plain_.size();
      if (Status st = zstd_.compress(plain_, o.spec.level, p.bytes); !st) {
        errors_.inc();
        spdlog::error("encode: {}", st.message());
        continue;  // no payload: the sink encodes the batch itself
      }
      if (plain_.capacity() > (16u << 20)) plain_ = std::string();
    }
    o.in.add(static_cast<double>(p.plain_bytes));
    o.out.add(static_cast<double>(p.bytes.size()));
    batch.payloads.push_back(std::move(p));
  }
}

}  // namespace logagent
