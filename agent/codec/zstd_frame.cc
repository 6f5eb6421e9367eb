#include "agent/codec/zstd_frame.h"

#include <zstd.h>

namespace logagent {

struct ZstdFrameCompressor::Impl {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::string scratch;
  ~Impl() { ZSTD_freeCCtx(cctx); }
};

ZstdFrameCompressor::ZstdFrameCompressor() : impl_(std::make_unique<Impl>()) {}
ZstdFrameCompressor::~ZstdFrameCompressor() = default;

Status ZstdFrameCompressor::compress(std::string_view in, int level, std::string& out) {
  if (impl_->cctx == nullptr) return Status::error("zstd: cannot create a compression context");
  // Compress into a reused scratch buffer, then copy out the exact size: a batch in flight holds
  // only its compressed bytes.
  std::string& scratch = impl_->scratch;
  scratch.resize(ZSTD_compressBound(in.size()));
  ZSTD_CCtx_reset(impl_->cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setPledgedSrcSize(impl_->cctx, in.size());
  const size_t n =
      ZSTD_compress2(impl_->cctx, scratch.data(), scratch.size(), in.data(), in.size());
  if (ZSTD_isError(n)) return Status::error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.assign(scratch.data(), n);
  if (scratch.capacity() > (16u << 20)) scratch = std::string();  // do not keep a huge scratch
  return Status::ok();
}

}  // namespace logagent
