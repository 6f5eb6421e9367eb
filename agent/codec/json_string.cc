// The string escaper behind json_string.h and json_output.h.
#include "agent/codec/json_string.h"

#include <cstdint>
#include <cstring>

#include "agent/codec/json_output.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace logagent {
namespace json_detail {
namespace {

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

}  // namespace

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

}  // namespace json_detail

using json_detail::Output;

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
    const size_t la = json_detail::utf8_sequence(x + i, a.size() - i);
    const size_t lb = json_detail::utf8_sequence(y + j, b.size() - j);
    if ((la == 0 ? kReplacement : a.substr(i, la)) != (lb == 0 ? kReplacement : b.substr(j, lb))) {
      return false;
    }
    i += la == 0 ? 1 : la;
    j += lb == 0 ? 1 : lb;
  }
  return i == a.size() && j == b.size();
}

bool is_valid_utf8(std::string_view bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time.
    if (i + 8 <= n) {
      uint64_t w = 0;
      std::memcpy(&w, s + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t len = json_detail::utf8_sequence(s + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void append_valid_utf8(std::string& out, std::string_view bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  size_t run = 0;  // start of the valid bytes not yet appended
  while (i < n) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t len = json_detail::utf8_sequence(s + i, n - i);
    if (len != 0) {
      i += len;
      continue;
    }
    out.append(bytes.substr(run, i - run));
    out += "\xEF\xBF\xBD";
    run = ++i;
  }
  out.append(bytes.substr(run));
}

}  // namespace logagent
