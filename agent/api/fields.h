// Parsed fields: what parser stages attach to the events of a batch.
//
// A Field is a key and a value, both views. They point into the batch's chunks (text that needed
// no unescaping is never copied), into the batch's Arena (unescaped or rebuilt text), or into
// static storage (constants such as "true" and error messages); all of them live as long as the
// batch. Strings are stored unescaped; numbers, booleans and null keep their literal JSON text and
// kRaw holds a nested JSON object or array as minified, valid JSON text, so encoders copy them
// verbatim. A parser that makes non-string fields must guarantee that: valid JSON, no raw
// newline (the json encoding is one object a line, and the kafka sink splits it on '\n'). A batch
// keeps all its fields in one vector; FieldSpan says which ones belong to an event (see
// Batch::fields and fields_of() in batch.h).
//
// Parser stages are built on parser_stage.h (FieldParser, the batch loop, on_error, metrics).
//
// Threads: a batch, its arena and its fields belong to one thread at a time (see batch.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace logagent {

enum class FieldType : uint8_t {
  kString,  // unescaped bytes (encoders escape them)
  kNumber,  // the JSON literal, e.g. -1.5e3
  kBool,    // "true" or "false"
  kNull,    // "null"
  kRaw,     // a nested object or array as minified JSON text
};

struct Field {
  std::string_view key;
  std::string_view value;
  FieldType type = FieldType::kString;
};

// Fields [begin, begin + count) of Batch::fields belong to one event.
struct FieldSpan {
  uint32_t begin = 0;
  uint32_t count = 0;
};

// Bump allocator for the bytes of parsed fields. Memory comes in 64 KiB blocks (requests above
// kLargeBytes get a block of their own); addresses stay valid until clear() or destruction.
// Bytes only: no alignment. Nothing is allocated until the first request.
class Arena {
 public:
  static constexpr size_t kBlockBytes = 64 * 1024;
  static constexpr size_t kLargeBytes = kBlockBytes / 4;

  Arena() = default;
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  char* allocate(size_t n) {
    if (n <= left_) {
      char* p = cur_;
      cur_ += n;
      left_ -= n;
      return p;
    }
    return allocate_slow(n);
  }
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  // Forgets every allocation; keeps the first standard block for reuse.
  void clear();
  // Bytes held in blocks (not bytes handed out).
  size_t reserved_bytes() const;

 private:
  char* allocate_slow(size_t n);

  std::vector<std::unique_ptr<char[]>> blocks_;  // standard blocks; the last one is current
  std::vector<std::unique_ptr<char[]>> large_;
  std::vector<size_t> large_sizes_;
  char* cur_ = nullptr;
  size_t left_ = 0;
};

}  // namespace logagent
