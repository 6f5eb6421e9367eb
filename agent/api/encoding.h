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

#include <cstddef>
#include <string>

namespace logagent {

enum class EventFormat { kRaw, kJson };
enum class Compression { kNone, kZstd };

struct EncodeSpec {
  EventFormat format = EventFormat::kRaw;
  Compression compression = Compression::kNone;
  int level = 1;  // zstd level (ignored without compression)
  friend bool operator==(const EncodeSpec&, const EncodeSpec&) = default;
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
