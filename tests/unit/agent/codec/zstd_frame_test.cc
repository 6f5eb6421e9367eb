#include "agent/codec/zstd_frame.h"

#include <doctest/doctest.h>
#include <zstd.h>

#include <cstdint>
#include <random>
#include <string>

using namespace logagent;

namespace {

// ZSTD_decompress of `frames` (one or several concatenated frames) into `capacity` bytes.
std::string decompress(const std::string& frames, size_t capacity) {
  std::string out(capacity, '\0');
  const size_t n = ZSTD_decompress(out.data(), out.size(), frames.data(), frames.size());
  REQUIRE_MESSAGE(!ZSTD_isError(n), ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

}  // namespace

TEST_CASE("a frame decompresses to its input, with its content size and a checksum") {
  ZstdFrameCompressor z;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + " of a log file\n";
  std::string frame;
  REQUIRE(z.compress(text, 3, frame));
  CHECK(frame.size() < text.size() / 4);
  CHECK(ZSTD_getFrameContentSize(frame.data(), frame.size()) == text.size());
  CHECK(decompress(frame, text.size()) == text);
  // A flipped byte inside the frame is caught (the checksum, or the block itself).
  std::string damaged = frame;
  damaged[damaged.size() - 2] = static_cast<char>(damaged[damaged.size() - 2] ^ 0x55);
  std::string out(text.size(), '\0');
  CHECK(ZSTD_isError(ZSTD_decompress(out.data(), out.size(), damaged.data(), damaged.size())));
}

TEST_CASE("frames of one reused compressor concatenate into one stream, at any level") {
  ZstdFrameCompressor z;
  const std::string parts[] = {"", "a", std::string(100000, 'x'), random_bytes(70000, 7),
                               "the last part\n"};
  const int levels[] = {1, 19, -5, 3, 0};
  std::string stream;
  std::string all;
  for (size_t i = 0; i < std::size(parts); ++i) {
    std::string frame = "stale bytes are replaced";
    REQUIRE(z.compress(parts[i], levels[i], frame));
    CHECK(decompress(frame, parts[i].size()) == parts[i]);
    stream += frame;
    all += parts[i];
  }
  CHECK(decompress(stream, all.size()) == all);
}

TEST_CASE("incompressible input still round-trips, in a frame not much larger") {
  ZstdFrameCompressor z;
  const std::string data = random_bytes(1 << 20, 42);
  std::string frame;
  REQUIRE(z.compress(data, 3, frame));
  CHECK(frame.size() <= ZSTD_compressBound(data.size()));
  CHECK(frame.capacity() < data.size() + (data.size() >> 4));  // the exact size, not a bound
  CHECK(decompress(frame, data.size()) == data);
}
