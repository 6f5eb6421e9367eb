#include "agent/codec/event_encoder.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "agent/core/clock.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace logagent {
namespace {

// ---------------------------------------------------------------------------------------------
// Output: a stack buffer flushed into the caller's string. Writers ask for room (a bound of what
// they will write), write through a raw pointer and commit; nothing is zero-filled, and the
// string grows only by what was really written.

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

// ---------------------------------------------------------------------------------------------
// JSON string bodies.

// Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not valid.
[[gnu::always_inline]] inline size_t utf8_sequence(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, min = 0x80, cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, min = 0x800, cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, min = 0x10000, cp = c & 0x07u;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// The escape of each byte below 0x20, and of '"' and '\\': \n, \r, \t and \" \\ are short, the
// rest \u00XX (the contract: no \b or \f short forms).
struct Escape {
  char text[8];
  uint8_t len;
};
constexpr Escape make_escape(unsigned c) {
  constexpr char kHex[] = "0123456789abcdef";
  if (c == '\n') return {{'\\', 'n'}, 2};
  if (c == '\r') return {{'\\', 'r'}, 2};
  if (c == '\t') return {{'\\', 't'}, 2};
  if (c == '"') return {{'\\', '"'}, 2};
  if (c == '\\') return {{'\\', '\\'}, 2};
  return {{'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]}, 6};
}
struct EscapeTable {
  Escape e[0x5D];  // up to '\\' (0x5C)
  constexpr EscapeTable() : e() {
    for (unsigned c = 0; c < 0x5D; ++c) e[c] = make_escape(c);
  }
};
constexpr EscapeTable kEscapes;

// Copies the run of non-ASCII bytes at s[i] (up to `stop`, plus the rest of one sequence):
// valid sequences as they are, each invalid byte as U+FFFD. Returns the next i.
[[gnu::noinline]] size_t escape_utf8(const unsigned char* s, size_t i, size_t stop, size_t n,
                                     char*& o) {
  do {
    const size_t len = utf8_sequence(s + i, n - i);
    if (len == 0) {
      o = put_lit(o, "\xEF\xBF\xBD");
      ++i;
    } else {
      std::memcpy(o, s + i, len);
      o += len;
      i += len;
    }
  } while (i < stop && s[i] >= 0x80);
  return i;
}

// Handles the byte at s[i] that needs care (control, '"', '\\' or ≥ 0x80); returns the next i.
inline size_t escape_one(const unsigned char* s, size_t i, size_t stop, size_t n, char*& o) {
  const unsigned char c = s[i];
  if (c >= 0x80) [[unlikely]] {
    return escape_utf8(s, i, stop, n, o);
  }
  const Escape& e = kEscapes.e[c];
  std::memcpy(o, e.text, sizeof e.text);  // fixed size: one move; only len bytes count
  o += e.len;
  return i + 1;
}

// 1 for the bytes that are copied as they are: 0x20-0x7F except '"' and '\\'.
struct PlainTable {
  bool plain[256];
  constexpr PlainTable() : plain() {
    for (unsigned c = 0; c < 256; ++c) plain[c] = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }
};
constexpr PlainTable kPlain;

// Index of the first byte of the 8 at `x` (little-endian) that needs care, or 8. SWAR: the
// borrow of a subtraction may flag a byte above a flagged one, never below it, so the lowest
// flag is exact.
inline unsigned first_special8(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t ctl_or_high = (x - 0x20 * kOnes) | x;  // < 0x20 or ≥ 0x80
  const uint64_t q = x ^ (uint64_t{'"'} * kOnes);
  const uint64_t b = x ^ (uint64_t{'\\'} * kOnes);
  const uint64_t zero_q = (q - kOnes) & ~q;
  const uint64_t zero_b = (b - kOnes) & ~b;
  const uint64_t m = (ctl_or_high | zero_q | zero_b) & kHigh;
  return m == 0 ? 8 : static_cast<unsigned>(__builtin_ctzll(m)) / 8;
}

#if defined(__SSE2__)
// Bit k set when byte k of the block needs care: < 0x20, '"', '\\' or ≥ 0x80 (the signed
// compare catches both the controls and the high bytes).
inline unsigned special_mask(__m128i v) {
  const __m128i ctl = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
  const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  const __m128i bslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(quote, bslash))));
}
#endif

// Escapes s[i..) until at least `stop` (a block or a UTF-8 sequence may run a little past it)
// and returns where it stopped. The caller gave room for 6 * (stop - i) + kSlack bytes at o.
// Blocks of 16 bytes (SSE2), then 8 (SWAR), then single bytes; plain bytes are stored a whole
// block at a time and the write position moves past the plain prefix only.
size_t escape_piece(const unsigned char* s, size_t i, size_t stop, size_t n, char*& o) {
  while (i < stop) {
    const size_t left = n - i;
#if defined(__SSE2__)
    if (left >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      const unsigned mask = special_mask(v);
      if (mask == 0) {
        o += 16;
        i += 16;
        continue;
      }
      const auto plain = static_cast<size_t>(__builtin_ctz(mask));
      o += plain;
      i = escape_one(s, i + plain, stop, n, o);
      continue;
    }
#endif
    if (left >= 8) {
      uint64_t x;
      std::memcpy(&x, s + i, 8);
      std::memcpy(o, &x, 8);
      const unsigned plain = first_special8(x);
      o += plain;
      i += plain;
      if (plain == 8) continue;
      i = escape_one(s, i, stop, n, o);
      continue;
    }
    while (i < n && kPlain.plain[s[i]]) *o++ = static_cast<char>(s[i++]);
    if (i < n) i = escape_one(s, i, stop, n, o);
  }
  return i;
}

// The JSON string body of `bytes`, without quotes, of any size.
void put_json_chars(Output& out, std::string_view bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const size_t stop = n - i > kPieceBytes ? i + kPieceBytes : n;
    char* o = out.room(6 * (stop - i) + kSlack);
    i = escape_piece(s, i, stop, n, o);
    out.commit(o);
  }
}

// Escapes all of a short `bytes` (≤ kPieceBytes) at o; room: 6 * size + kSlack.
inline char* escape_short(char* o, std::string_view bytes) {
  if (!bytes.empty()) {
    escape_piece(reinterpret_cast<const unsigned char*>(bytes.data()), 0, bytes.size(),
                 bytes.size(), o);
  }
  return o;
}

void put_json_string(Output& out, std::string_view bytes) {
  if (bytes.size() <= kPieceBytes) {
    char* o = out.room(6 * bytes.size() + kSlack + 2);
    *o++ = '"';
    o = escape_short(o, bytes);
    *o++ = '"';
    out.commit(o);
    return;
  }
  char* p = out.room(1);
  *p = '"';
  out.commit(p + 1);
  put_json_chars(out, bytes);
  p = out.room(1);
  *p = '"';
  out.commit(p + 1);
}

// ---------------------------------------------------------------------------------------------
// Times: "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", the date and time reformatted only when the second
// changes.

constexpr size_t kTimeBytes = 27;
constexpr int64_t kNsPerSecond = 1'000'000'000;

constexpr char kDigits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline void two_digits(char* p, unsigned v) { std::memcpy(p, kDigits2 + 2 * v, 2); }

class TimeText {
 public:
  // The text of `unix_ns` (floor to the microsecond), valid until the next call.
  const char* format(int64_t unix_ns) {
    int64_t sec = unix_ns / kNsPerSecond;
    int64_t ns = unix_ns % kNsPerSecond;
    if (ns < 0) ns += kNsPerSecond, --sec;
    if (sec != sec_) set_second(sec);
    auto us = static_cast<unsigned>(ns / 1000);
    two_digits(text_ + 24, us % 100);
    us /= 100;
    two_digits(text_ + 22, us % 100);
    two_digits(text_ + 20, us / 100);
    return text_;
  }

 private:
  void set_second(int64_t sec) {
    sec_ = sec;
    int64_t days = sec / 86400;
    int64_t rem = sec % 86400;
    if (rem < 0) rem += 86400, --days;
    const CivilDate date = civil_from_days(days);
    const auto year = static_cast<unsigned>(date.year);
    const unsigned month = date.month;
    const unsigned day = date.day;
    two_digits(text_, (year / 100) % 100);
    two_digits(text_ + 2, year % 100);
    two_digits(text_ + 5, month);
    two_digits(text_ + 8, day);
    const auto r = static_cast<unsigned>(rem);
    two_digits(text_ + 11, r / 3600);
    two_digits(text_ + 14, r / 60 % 60);
    two_digits(text_ + 17, r % 60);
  }

  int64_t sec_ = INT64_MIN;
  char text_[kTimeBytes + 1] = "0000-00-00T00:00:00.000000Z";
};

// ---------------------------------------------------------------------------------------------
// Events.

// time, file, offset, message and truncated: parsed fields of those names get a "_" prefix.
bool is_metadata_key(std::string_view key) {
  switch (key.size()) {
    case 4:
      return key == "time" || key == "file";
    case 6:
      return key == "offset";
    case 7:
      return key == "message";
    case 9:
      return key == "truncated";
    default:
      return false;
  }
}

// A hash of a key, equal for every two fields written under one key: "_" + a metadata key and
// that key with its "_" (no leading "_" counts), keys alike once invalid UTF-8 is U+FFFD (the
// class -- the ASCII byte, or "not ASCII" -- of the first byte, of the second when the first is
// ASCII, and of the last). 7 bits.
inline unsigned key_hash(std::string_view key) {
  if (!key.empty() && key[0] == '_') key.remove_prefix(1);
  if (key.empty()) return 0;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  const uint32_t first = std::min<uint32_t>(k[0], 0x80);
  const uint32_t second = first == 0x80    ? 0x80
                          : key.size() < 2 ? 0xFF
                                           : std::min<uint32_t>(k[1], 0x80);
  const uint32_t last = std::min<uint32_t>(k[key.size() - 1], 0x80);
  return ((first | (second << 8) | (last << 16)) * 0x9E3779B1u) >> 25;
}

// Fields `a` and `b` are written under the same key.
inline bool same_written_key(const Field& a, bool a_prefixed, const Field& b, bool b_prefixed) {
  if (a_prefixed == b_prefixed) return same_json_text(a.key, b.key);
  // "_" + a metadata key (ASCII) against a key written as it is.
  const std::string_view plain = a_prefixed ? b.key : a.key;
  const std::string_view prefixed = a_prefixed ? a.key : b.key;
  return plain.size() == prefixed.size() + 1 && plain[0] == '_' && plain.substr(1) == prefixed;
}

// Which written keys occur more than once among an event's fields, as a 128-bit filter of their
// hashes (kept in registers): a field whose hash is not in it has a key of its own (the common
// case: one pass, no allocation); only the others are compared with the fields after them.
class RepeatedKeys {
 public:
  explicit RepeatedKeys(std::span<const Field> fields) {
    if (fields.size() < 2) return;
    uint64_t seen_lo = 0;
    uint64_t seen_hi = 0;
    uint64_t twice_lo = 0;
    uint64_t twice_hi = 0;
    for (const Field& f : fields) {
      const unsigned h = key_hash(f.key);
      const uint64_t bit = uint64_t{1} << (h & 63);
      const uint64_t hi = uint64_t{0} - ((h >> 6) & 1);  // all ones for the upper half
      twice_lo |= seen_lo & bit & ~hi;
      twice_hi |= seen_hi & bit & hi;
      seen_lo |= bit & ~hi;
      seen_hi |= bit & hi;
    }
    twice_lo_ = twice_lo;
    twice_hi_ = twice_hi;
  }
  // A field after fields[i] is written under the same key (so fields[i] is not written).
  bool superseded(std::span<const Field> fields, size_t i, bool prefixed) const {
    if ((twice_lo_ | twice_hi_) == 0) return false;
    const unsigned h = key_hash(fields[i].key);
    if ((((h >> 6) & 1 ? twice_hi_ : twice_lo_) & (uint64_t{1} << (h & 63))) == 0) return false;
    for (size_t j = i + 1; j < fields.size(); ++j) {
      if (same_written_key(fields[i], prefixed, fields[j], is_metadata_key(fields[j].key))) {
        return true;
      }
    }
    return false;
  }

 private:
  uint64_t twice_lo_ = 0;
  uint64_t twice_hi_ = 0;
};

// ,"key":value for each field whose key no later field has: one room check per field unless it
// is large.
void put_fields(Output& out, std::span<const Field> fields) {
  const RepeatedKeys repeated(fields);
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    const bool prefixed = is_metadata_key(f.key);
    if (repeated.superseded(fields, i, prefixed)) continue;  // the last value of a key wins
    const bool string = f.type == FieldType::kString;
    const std::string_view value =
        string || !f.value.empty() ? f.value : std::string_view("null");  // never invalid JSON
    if (f.key.size() + value.size() <= kPieceBytes) {
      char* o = out.room(6 * (f.key.size() + value.size()) + 2 * kSlack + 8);
      o = prefixed ? put_lit(o, ",\"_") : put_lit(o, ",\"");
      o = escape_short(o, f.key);
      o = put_lit(o, "\":");
      if (string) {
        *o++ = '"';
        o = escape_short(o, value);
        *o++ = '"';
      } else {
        std::memcpy(o, value.data(), value.size());
        o += value.size();
      }
      out.commit(o);
      continue;
    }
    char* p = out.room(3);
    out.commit(prefixed ? put_lit(p, ",\"_") : put_lit(p, ",\""));
    put_json_chars(out, f.key);
    p = out.room(2);
    out.commit(put_lit(p, "\":"));
    if (string) {
      put_json_string(out, value);
    } else {
      out.put(value);
    }
  }
}

// A guess of the json size of the batch, to size `out` once (it may still grow).
size_t json_estimate(const Batch& batch, size_t head_bytes) {
  size_t n = 0;
  for (const Event& e : batch.events) n += e.message.size() + head_bytes + 64;
  for (const Field& f : batch.fields) n += f.key.size() + f.value.size() + 8;
  return n;
}

void encode_json(std::string& out_string, const Batch& batch) {
  // Between the time and the offset, everything is the same for the whole batch.
  std::string mid = "\",\"file\":";
  append_json_string(mid, batch.source ? std::string_view(batch.source->path) : "");
  mid += ",\"offset\":";
  out_string.reserve(out_string.size() + json_estimate(batch, mid.size() + kTimeBytes));

  Output out(out_string);
  TimeText time;
  constexpr size_t kHeadRoom = 9 + kTimeBytes + 20 + 12;  // {"time":" time offset ,"message":"
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    if (e.flags & kEventDropped) continue;
    char* p = out.room(9 + kTimeBytes);
    p = put_lit(p, "{\"time\":\"");
    std::memcpy(p, time.format(event_time_ns(batch, i)), kTimeBytes);
    out.commit(p + kTimeBytes);
    out.put(mid);
    p = out.room(kHeadRoom);
    p = std::to_chars(p, p + 20, e.offset).ptr;
    p = put_lit(p, ",\"message\":\"");
    out.commit(p);
    put_json_chars(out, e.message);
    p = out.room(20);
    p = (e.flags & kEventTruncated) ? put_lit(p, "\",\"truncated\":true") : put_lit(p, "\"");
    out.commit(p);
    if (i < batch.spans.size() && batch.spans[i].count > 0) put_fields(out, fields_of(batch, i));
    p = out.room(2);
    out.commit(put_lit(p, "}\n"));
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view bytes) {
  Output o(out);
  put_json_string(o, bytes);
}

bool same_json_text(std::string_view a, std::string_view b) {
  if (a == b) return true;
  const auto* x = reinterpret_cast<const unsigned char*>(a.data());
  const auto* y = reinterpret_cast<const unsigned char*>(b.data());
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (x[i] < 0x80 || y[j] < 0x80) {
      if (x[i] != y[j]) return false;
      ++i, ++j;
      continue;
    }
    constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
    const size_t la = utf8_sequence(x + i, a.size() - i);
    const size_t lb = utf8_sequence(y + j, b.size() - j);
    if ((la == 0 ? kReplacement : a.substr(i, la)) != (lb == 0 ? kReplacement : b.substr(j, lb))) {
      return false;
    }
    i += la == 0 ? 1 : la;
    j += lb == 0 ? 1 : lb;
  }
  return i == a.size() && j == b.size();
}

std::string format_rfc3339_us(int64_t unix_ns) {
  TimeText t;
  return std::string(t.format(unix_ns), kTimeBytes);
}

void encode_batch(std::string& out, const Batch& batch, EventFormat format) {
  if (format == EventFormat::kRaw) {
    size_t n = 0;
    for (const Event& e : batch.events) n += e.message.size() + 1;
    out.reserve(out.size() + n);
    for (const Event& e : batch.events) {
      if (e.flags & kEventDropped) continue;
      out.append(e.message);
      out.push_back('\n');
    }
    return;
  }
  encode_json(out, batch);
}

}  // namespace logagent
