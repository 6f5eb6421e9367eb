// Encodings a sink can ask the lane to prepare for it, off the sink thread.
//
// A sink that wants its batches pre-encoded (and compressed) returns an EncodeSpec from
// Sink::encoding(). The pipeline then adds an "encode" step at the end of every lane -- its own
// thread, after the last stage -- that fills Batch::payloads with one Payload per distinct spec of
// the pipeline's sinks. Sinks find theirs with find_payload(). This is how zstd compression runs
// on its own thread: the sink only writes or produces the finished bytes.
//
// Threads: plain values.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace logagent {

// Both are option types too (see options.h): a sink's `format` and `compression` bind to them.
enum class EventFormat { kRaw, kJson };
constexpr std::array<std::string_view, 2> option_names(EventFormat) { return {"raw", "json"}; }
enum class Compression { kNone, kZstd };
constexpr std::array<std::string_view, 2> option_names(Compression) { return {"none", "zstd"}; }

struct EncodeSpec {
  EventFormat format = EventFormat::kRaw;
  Compression compression = Compression::kNone;
  int level = 1;  // zstd level; without compression it is ignored, by == too
  // Two specs that encode the same bytes are equal, so the lane encodes them once: the level
  // counts only with compression (a json file sink and a json kafka sink share one payload).
  friend bool operator==(const EncodeSpec& a, const EncodeSpec& b) {
    return a.format == b.format && a.compression == b.compression &&
           (a.compression == Compression::kNone || a.level == b.level);
  }
};

// The live events of a batch, newline-delimited in `spec.format`, then compressed as one
// independent zstd frame when spec.compression is kZstd (frames concatenate into a valid stream).
struct Payload {
  EncodeSpec spec;
  std::string bytes;
  size_t events = 0;       // live events encoded
  size_t plain_bytes = 0;  // size before compression
};

}  // namespace logagent
