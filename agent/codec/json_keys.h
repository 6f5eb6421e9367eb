// The json output's rule for the keys of parsed fields (internal to agent/codec): a field named
// like a metadata key (time, file, offset, message, truncated) is written as "_<key>", and each
// key is written once per object -- when several fields are written under one key, the last one
// wins. RepeatedKeys finds those fields without allocating: the encoder notes each key's hash in a
// 128-bit filter as it writes the field, and only fields of a hash that came twice are compared
// with the fields after them.
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
// that key (a leading "_" is skipped), keys alike once invalid UTF-8 is U+FFFD (the class -- the
// ASCII byte, or "not ASCII" -- of the first byte and of the last). 7 bits.
inline unsigned key_hash(std::string_view key) {
  if (key.empty()) return 0;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  const size_t first = k[0] == '_' && key.size() > 1 ? 1 : 0;
  const uint32_t a = std::min<uint32_t>(k[first], 0x80);
  const uint32_t z = std::min<uint32_t>(k[key.size() - 1], 0x80);
  return ((a | (z << 8)) * 0x9E3779B1u) >> 25;
}

// Fields `a` and `b` are written under the same key.
inline bool same_written_key(const Field& a, bool a_prefixed, const Field& b, bool b_prefixed) {
  if (a_prefixed == b_prefixed) return same_json_text(a.key, b.key);
  // "_" + a metadata key (ASCII) against a key written as it is.
  const std::string_view plain = a_prefixed ? b.key : a.key;
  const std::string_view prefixed = a_prefixed ? a.key : b.key;
  return plain.size() == prefixed.size() + 1 && plain[0] == '_' && plain.substr(1) == prefixed;
}

// Which written keys occur more than once among an event's fields: add() notes the hash of each
// key in a 128-bit filter (kept in registers once inlined) and, for the first kKept fields, on
// the stack. A field whose hash came once has a key of its own (the common case: no comparison,
// no allocation); only fields of a hash that came twice are compared with the later fields of
// that hash.
class RepeatedKeys {
 public:
  static constexpr size_t kKept = 32;

  // Field `i` (added in order from 0) has key `key`.
  void add(size_t i, std::string_view key) {
    const unsigned h = key_hash(key);
    if (i < kKept) hashes_[i] = static_cast<uint8_t>(h);
    const uint64_t bit = uint64_t{1} << (h & 63);
    const uint64_t hi = uint64_t{0} - ((h >> 6) & 1);  // all ones for the upper half
    twice_lo_ |= seen_lo_ & bit & ~hi;
    twice_hi_ |= seen_hi_ & bit & hi;
    seen_lo_ |= bit & ~hi;
    seen_hi_ |= bit & hi;
  }
  // Some field of `fields` (all added) is superseded by a later one.
  bool any(std::span<const Field> fields) const {
    if ((twice_lo_ | twice_hi_) == 0) return false;
    for (size_t i = 0; i + 1 < fields.size(); ++i) {
      if (superseded(fields, i, is_metadata_key(fields[i].key))) return true;
    }
    return false;
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

  uint64_t seen_lo_ = 0;
  uint64_t seen_hi_ = 0;
  uint64_t twice_lo_ = 0;
  uint64_t twice_hi_ = 0;
  uint8_t hashes_[kKept];  // written for the first min(kKept, fields) fields only
};

}  // namespace logagent::json_detail
