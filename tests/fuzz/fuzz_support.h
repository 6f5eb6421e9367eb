// Shared helpers of the fuzz targets (tests/fuzz/fuzz_*.cc): batches built from the fuzz input,
// and the invariants every target checks after the code under test ran.
//
// Each target defines LLVMFuzzerTestOneInput. It is linked either with libFuzzer (LOGAGENT_FUZZ,
// clang) or with regression_main.cc (any compiler), which runs the committed corpus and past
// crashes through it under ctest. A broken invariant calls FUZZ_CHECK's failure path: it prints
// what broke and abort()s, which both libFuzzer and the regression driver report as a crash
// (assert() would vanish under NDEBUG).
//
// Memory checks. Parsed fields and messages must view either the input bytes or memory that lives
// as long as the batch (its arena, or static storage). The targets destroy the stage before
// reading the fields and every byte of every view is read: a view into a parser's own buffers is
// then a use-after-free that ASan reports (libFuzzer build, ASan build of the regression driver).
//
// Threads: one; no state between inputs except what a target keeps on purpose.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/codec/event_encoder.h"

#define FUZZ_CHECK(cond, what)                                                         \
  do {                                                                                 \
    if (!(cond)) ::logagent::fuzz::fail(__FILE__, __LINE__, #cond, std::string(what)); \
  } while (0)

namespace logagent::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* cond,
                              const std::string& what) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s: %s\n", file, line, cond, what.c_str());
  std::abort();
}

// Reads every byte of `v` (so a dangling or out-of-bounds view is reported by ASan).
inline void touch(std::string_view v) {
  static volatile unsigned sink = 0;
  unsigned sum = 0;
  for (char c : v) sum += static_cast<unsigned char>(c);
  sink = sink + sum;
}

// A batch whose events are the '\n'-separated lines of a private copy of the input, exactly as
// large as the input (so reading past the last line is an ASan error). A final line without '\n'
// is an event flagged kEventNoNewline, as the tail input makes at EOF.
class InputBatch {
 public:
  InputBatch(const uint8_t* data, size_t size)
      : size_(size), bytes_(std::make_unique<char[]>(size == 0 ? 1 : size)) {
    if (size > 0) std::memcpy(bytes_.get(), data, size);
    auto source = std::make_shared<SourceInfo>();
    source->path = "/var/log/fuzz.log";
    batch.source = std::move(source);
    batch.begin = 0;
    batch.end = size;
    batch.read_time_ns = 1714566896123456789;
    size_t start = 0;
    while (start < size) {
      const void* nl = std::memchr(bytes_.get() + start, '\n', size - start);
      const size_t end =
          nl == nullptr ? size : static_cast<size_t>(static_cast<const char*>(nl) - bytes_.get());
      Event e;
      e.message = std::string_view(bytes_.get() + start, end - start);
      e.offset = start;
      if (nl == nullptr) e.flags |= kEventNoNewline;
      batch.events.push_back(e);
      lines.push_back(e.message);
      start = end + 1;
    }
  }

  // True when `v` lies within the input bytes.
  bool in_input(std::string_view v) const {
    const char* base = bytes_.get();
    return v.data() >= base && v.data() + v.size() <= base + size_;
  }

  Batch batch;
  std::vector<std::string_view> lines;  // the original line of each event

 private:
  size_t size_;
  std::unique_ptr<char[]> bytes_;
};

inline size_t live_events(const Batch& batch) { return batch.live_events(); }

// Whether `s` is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
inline bool is_json_number(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  const auto digits = [&] {
    const size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

// `text` with every number outside strings replaced by 0, so that simdjson's DOM parser (which
// rejects numbers it cannot represent, such as 1e400 or 2^64) can check the rest of the
// structure; `numbers_ok` is false when a number token is not valid JSON.
inline std::string numbers_as_zero(std::string_view text, bool& numbers_ok) {
  std::string out;
  out.reserve(text.size());
  numbers_ok = true;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {  // copy the string, escapes included
      const size_t start = i++;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, text.size());
      out.append(text.substr(start, i - start));
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const size_t start = i;
      while (i < text.size() && (std::strchr("0123456789+-.eE", text[i]) != nullptr) &&
             text[i] != '\0') {
        ++i;
      }
      numbers_ok = numbers_ok && is_json_number(text.substr(start, i - start));
      out.push_back('0');
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// `text` parsed by simdjson's DOM parser; numbers it cannot represent (1e400, 2^64) are checked
// against the JSON grammar and read as 0.
inline simdjson::simdjson_result<simdjson::dom::element> parse_json(simdjson::dom::parser& parser,
                                                                    std::string_view text) {
  auto r = parser.parse(simdjson::padded_string(text));
  if (r.error() != simdjson::NUMBER_ERROR && r.error() != simdjson::NUMBER_OUT_OF_RANGE) return r;
  bool numbers_ok = false;
  const std::string zeroed = numbers_as_zero(text, numbers_ok);
  if (!numbers_ok) return simdjson::NUMBER_ERROR;
  return parser.parse(simdjson::padded_string(zeroed));
}

// Spans and fields are well formed; non-string fields hold valid JSON as fields.h promises;
// every view is readable.
inline void check_fields(const Batch& batch) {
  FUZZ_CHECK(batch.spans.empty() || batch.spans.size() == batch.events.size(),
             "spans: " + std::to_string(batch.spans.size()));
  simdjson::dom::parser parser;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    touch(batch.events[i].message);
    if (batch.spans.empty()) continue;
    const FieldSpan s = batch.spans[i];
    FUZZ_CHECK(uint64_t{s.begin} + s.count <= batch.fields.size(),
               "event " + std::to_string(i) + " span past the fields");
    for (const Field& f : fields_of(batch, i)) {
      touch(f.key);
      touch(f.value);
      const std::string v(f.value);
      switch (f.type) {
        case FieldType::kString:
          break;
        case FieldType::kBool:
          FUZZ_CHECK(v == "true" || v == "false", "bool field " + v);
          break;
        case FieldType::kNull:
          FUZZ_CHECK(v == "null", "null field " + v);
          break;
        case FieldType::kNumber:
          FUZZ_CHECK(is_json_number(v), "number field " + v);
          break;
        case FieldType::kRaw: {
          simdjson::dom::element e;
          FUZZ_CHECK(
              parse_json(parser, v).get(e) == simdjson::SUCCESS && (e.is_object() || e.is_array()),
              "raw field " + v);
          FUZZ_CHECK(v.find_first_of("\r\n") == std::string::npos, "raw field has a newline");
          break;
        }
      }
    }
  }
}

// The json encoding of the batch is one valid JSON object per live event, with every field as a
// key; the raw encoding is each live message and '\n'.
// The json output's rule for fields, the slow way: the indices of the fields of event `i` that
// are written -- each one unless a later field is written under the same key (its JSON text,
// "_"-prefixed for the metadata keys).
inline std::vector<size_t> written_fields(const Batch& batch, size_t i) {
  const auto fields = fields_of(batch, i);
  std::vector<std::string> keys;
  for (const Field& f : fields) {
    const bool metadata = f.key == "time" || f.key == "file" || f.key == "offset" ||
                          f.key == "message" || f.key == "truncated";
    std::string name(metadata ? "_" : "");  // appended, not "_" + key: g++ 12 -O3 -Wrestrict
    name += f.key;
    std::string key;
    append_json_string(key, name);
    keys.push_back(std::move(key));
  }
  std::vector<size_t> out;
  for (size_t k = 0; k < keys.size(); ++k) {
    if (std::find(keys.begin() + static_cast<std::ptrdiff_t>(k) + 1, keys.end(), keys[k]) ==
        keys.end()) {
      out.push_back(k);
    }
  }
  return out;
}

inline void check_encoding(const Batch& batch) {
  std::string out;
  encode_batch(out, batch, EventFormat::kJson);
  simdjson::dom::parser parser;
  size_t lines = 0;
  size_t start = 0;
  std::vector<size_t> live;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if ((batch.events[i].flags & kEventDropped) == 0) live.push_back(i);
  }
  while (start < out.size()) {
    const size_t nl = out.find('\n', start);
    FUZZ_CHECK(nl != std::string::npos, "json output does not end with a newline");
    const std::string_view line(out.data() + start, nl - start);
    FUZZ_CHECK(lines < live.size(), "more json lines than live events");
    simdjson::dom::element e;
    const auto error = parse_json(parser, line).get(e);
    FUZZ_CHECK(error == simdjson::SUCCESS,
               std::string(simdjson::error_message(error)) + ": " + std::string(line));
    simdjson::dom::object o;
    FUZZ_CHECK(e.get_object().get(o) == simdjson::SUCCESS, "not an object: " + std::string(line));
    const size_t i = live[lines];
    const size_t expected =
        4 + ((batch.events[i].flags & kEventTruncated) ? 1 : 0) + written_fields(batch, i).size();
    FUZZ_CHECK(o.size() == expected, "keys: " + std::to_string(o.size()) + " want " +
                                         std::to_string(expected) + ": " + std::string(line));
    std::vector<std::string_view> names;
    for (auto [key, value] : o) names.push_back(key);
    std::sort(names.begin(), names.end());
    FUZZ_CHECK(std::adjacent_find(names.begin(), names.end()) == names.end(),
               "a key written twice: " + std::string(line));
    ++lines;
    start = nl + 1;
  }
  FUZZ_CHECK(lines == live.size(), "json lines " + std::to_string(lines) + " for " +
                                       std::to_string(live.size()) + " live events");

  std::string raw;
  encode_batch(raw, batch, EventFormat::kRaw);
  size_t raw_size = 0;
  for (size_t i : live) raw_size += batch.events[i].message.size() + 1;
  FUZZ_CHECK(raw.size() == raw_size, "raw output size");
}

}  // namespace logagent::fuzz
