// The json output's rule for the keys of parsed fields (internal to agent/codec): a field named
// like a metadata key (time, file, offset, message, truncated) is written as "_<key>", and each
// key is written once per object -- when several fields are written under one key, the last one
// wins. RepeatedKeys finds those fields without allocating: one pass over an event's fields
// builds a 128-bit filter of their key hashes, and only a field whose hash is in it twice is
// compared with the fields after it.
//
// Threads: pure functions; a RepeatedKeys serves one event.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "agent/api/fields.h"
#include "agent/codec/json_string.h"

namespace logagent::json_detail {

// time, file, offset, message and truncated: parsed fields of those names get a "_" prefix.
inline bool is_metadata_key(std::string_view key) {
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
// case: one pass, no allocation); only the others are compared with the later fields of the same
// hash. The hashes of the first kKept fields are kept (on the stack), the others recomputed.
class RepeatedKeys {
 public:
  static constexpr size_t kKept = 32;

  explicit RepeatedKeys(std::span<const Field> fields) {
    if (fields.size() < 2) return;
    uint64_t seen_lo = 0;
    uint64_t seen_hi = 0;
    uint64_t twice_lo = 0;
    uint64_t twice_hi = 0;
    for (size_t i = 0; i < fields.size(); ++i) {
      const unsigned h = key_hash(fields[i].key);
      if (i < kKept) hashes_[i] = static_cast<uint8_t>(h);
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
    const unsigned h = hash(fields, i);
    if ((((h >> 6) & 1 ? twice_hi_ : twice_lo_) & (uint64_t{1} << (h & 63))) == 0) return false;
    for (size_t j = i + 1; j < fields.size(); ++j) {
      if (hash(fields, j) == h &&
          same_written_key(fields[i], prefixed, fields[j], is_metadata_key(fields[j].key))) {
        return true;
      }
    }
    return false;
  }

 private:
  unsigned hash(std::span<const Field> fields, size_t i) const {
    return i < kKept ? hashes_[i] : key_hash(fields[i].key);
  }

  uint64_t twice_lo_ = 0;
  uint64_t twice_hi_ = 0;
  uint8_t hashes_[kKept];  // written for the first min(kKept, fields) fields only
};

}  // namespace logagent::json_detail
