// The json encoders' output path (internal to agent/codec): a stack buffer flushed into the
// caller's string, and the string escaper's entry points that write into it.
//
// Writers ask for room (a bound of what they will write), write through a raw pointer and commit;
// nothing is zero-filled, and the string grows only by what was really written. The escaper
// (json_string.cc) finds the bytes needing escape 16 at a time (SSE2), then 8 (SWAR), then one by
// one, and copies plain bytes a block at a time, so it may write up to kSlack bytes past what it
// commits.
//
// Threads: an Output belongs to one thread; the functions are pure. An Output uses 32 KiB of
// stack.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace logagent::json_detail {

constexpr size_t kBufferBytes = 32 * 1024;
// Room past a bound that the escaper may use: a 16-byte block store, plus the input read past a
// piece's end (one 16-byte block and one 4-byte UTF-8 sequence, each ≤ 6 bytes out per byte in).
constexpr size_t kSlack = 256;
// Input bytes escaped per room check (6 output bytes per input byte at worst: \u0000).
constexpr size_t kPieceBytes = (kBufferBytes - kSlack) / 6;

class Output {
 public:
  explicit Output(std::string& out) : out_(out) {}
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() { flush(); }

  // A write position with room for `n` bytes (n ≤ kBufferBytes).
  char* room(size_t n) {
    if (static_cast<size_t>(buf_ + kBufferBytes - p_) < n) flush();
    return p_;
  }
  void commit(char* p) { p_ = p; }
  void put(std::string_view s) {
    if (s.size() > kBufferBytes / 4) {
      flush();
      out_.append(s);
      return;
    }
    char* p = room(s.size());
    std::memcpy(p, s.data(), s.size());
    p_ = p + s.size();
  }
  // Bytes written so far, in the caller's string and the buffer.
  size_t size() const { return out_.size() + static_cast<size_t>(p_ - buf_); }
  // Forgets what was written after the first `n` bytes (n ≤ size()).
  void truncate(size_t n) {
    flush();
    out_.resize(n);
  }
  void flush() {
    out_.append(buf_, static_cast<size_t>(p_ - buf_));
    p_ = buf_;
  }

 private:
  std::string& out_;
  char buf_[kBufferBytes];
  char* p_ = buf_;
};

template <size_t N>
char* put_lit(char* p, const char (&lit)[N]) {
  std::memcpy(p, lit, N - 1);
  return p + N - 1;
}

// Escapes s[i..) until at least `stop` (a block or a UTF-8 sequence may run a little past it)
// and returns where it stopped. The caller gave room for 6 * (stop - i) + kSlack bytes at o.
size_t escape_piece(const unsigned char* s, size_t i, size_t stop, size_t n, char*& o);

// Escapes all of a short `bytes` (≤ kPieceBytes) at o; room: 6 * size + kSlack.
inline char* escape_short(char* o, std::string_view bytes) {
  if (!bytes.empty()) {
    escape_piece(reinterpret_cast<const unsigned char*>(bytes.data()), 0, bytes.size(),
                 bytes.size(), o);
  }
  return o;
}

// The JSON string body of `bytes`, without quotes, of any size.
void put_json_chars(Output& out, std::string_view bytes);
// `bytes` as a JSON string literal (with quotes), of any size.
void put_json_string(Output& out, std::string_view bytes);

}  // namespace logagent::json_detail
