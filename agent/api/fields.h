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
// Parser stages implement FieldParser (one text in, fields out) and get the whole batch loop,
// on_error handling and metrics from make_parser_stage(). When a stage adds fields to an event
// that already has some, the event's fields are first copied to the end of the vector so that
// they stay contiguous; the old entries are left unused.
//
// Threads: a batch, its arena and its fields belong to one thread at a time (see batch.h). A
// FieldParser and the stage made from it serve one lane.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace logagent {

class Batch;
class Stage;
class MetricsScope;

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

// Collects the fields of one event. Handed to FieldParser::parse.
class FieldWriter {
 public:
  FieldWriter(std::vector<Field>& fields, Arena& arena) : fields_(&fields), arena_(&arena) {}
  void add(std::string_view key, std::string_view value, FieldType type) {
    fields_->push_back(Field{key, value, type});
  }
  // A copy of `s` that lives as long as the batch.
  std::string_view copy(std::string_view s) { return arena_->copy(s); }
  Arena& arena() { return *arena_; }

 private:
  std::vector<Field>* fields_;
  Arena* arena_;
};

// One parser (json, logfmt, ...): turns a text into fields.
class FieldParser {
 public:
  virtual ~FieldParser() = default;
  // Adds the fields of `text` to `out`. Returns nullptr on success, else a short message in
  // static storage; the fields added so far are then discarded by the caller. `text` lives as
  // long as the batch, so fields may view it.
  virtual const char* parse(std::string_view text, FieldWriter& out) = 0;
};

enum class OnError { kKeep, kDrop };

struct ParseSettings {
  // "message": the event's line; any other name: the last string field of that name (events
  // without it pass through untouched and are not counted).
  std::string field = "message";
  // kKeep: flag the event kEventParseError and give it an "_error" string field; kDrop: flag it
  // kEventDropped (it still counts as acknowledged).
  OnError on_error = OnError::kKeep;
};

struct ParseCounts {
  uint64_t ok = 0;
  uint64_t error = 0;
};

// Runs `parser` over the live events of `batch`. `fields_per_event` is a reservation hint
// (updated with what this batch needed).
ParseCounts parse_batch(Batch& batch, const ParseSettings& settings, FieldParser& parser,
                        double& fields_per_event);

// A Stage running `parser` with `settings`, counting logagent_parser_events_total{result=ok|error}
// in `metrics` once per batch. `metrics` should carry the stage label.
std::unique_ptr<Stage> make_parser_stage(ParseSettings settings,
                                         std::unique_ptr<FieldParser> parser,
                                         const MetricsScope& metrics);

}  // namespace logagent
