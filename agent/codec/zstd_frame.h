// ZstdFrameCompressor: compresses a buffer as one independent zstd frame (with content size and
// checksum), reusing its context. Frames concatenate into a valid .zst stream, so a sink may
// append one frame per batch and `zstd -d` reads the whole file.
//
// Threads: one instance per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "agent/api/status.h"

namespace logagent {

class ZstdFrameCompressor {
 public:
  ZstdFrameCompressor();
  ~ZstdFrameCompressor();
  ZstdFrameCompressor(const ZstdFrameCompressor&) = delete;
  ZstdFrameCompressor& operator=(const ZstdFrameCompressor&) = delete;
  // Replaces `out` with the frame; `out` gets the exact size (no ZSTD_compressBound slack).
  Status compress(std::string_view in, int level, std::string& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace logagent
