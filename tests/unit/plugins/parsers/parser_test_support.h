// Helpers for the parser stage tests: batches over owned lines, fields rendered as JSON text.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/source.h"
#include "agent/codec/event_encoder.h"
#include "plugins/common/parser_stage.h"

namespace logagent::testing {

// A batch whose events view `lines` (kept alive here).
struct LineBatch {
  std::deque<std::string> lines;
  Batch batch;

  explicit LineBatch(const std::vector<std::string>& texts) {
    uint64_t offset = 0;
    for (const auto& t : texts) {
      lines.push_back(t);
      batch.events.push_back({lines.back(), offset, 0, 0});
      offset += t.size() + 1;
    }
  }
};

// The SourceState of a test file (no tracker).
struct TestSource final : SourceState {
  explicit TestSource(uint64_t id) : SourceState(id, nullptr) {}
};

// One file cut into batches: each batch's events view lines kept alive here, offsets run on.
struct SourceFeed {
  std::shared_ptr<SourceState> state = std::make_shared<TestSource>(7);
  std::deque<std::string> lines;
  uint64_t offset = 0;
  uint64_t generation = 0;

  // The next batch of the file, holding `texts`.
  std::unique_ptr<Batch> next(const std::vector<std::string>& texts) {
    auto b = std::make_unique<Batch>();
    b->state = state;
    b->generation = generation;
    b->begin = offset;
    for (const auto& t : texts) {
      lines.push_back(t);
      b->events.push_back({lines.back(), offset, 0, 0});
      offset += t.size() + 1;
    }
    b->end = offset;
    return b;
  }
  // The file's source_end batch.
  std::unique_ptr<Batch> end() {
    auto b = std::make_unique<Batch>();
    b->state = state;
    b->generation = generation;
    b->begin = b->end = offset;
    b->source_end = true;
    return b;
  }
};

// {"k":"string","n":12,"raw":{"a":1}} for the fields of event `i`.
inline std::string fields_json(const Batch& batch, size_t i) {
  std::string out = "{";
  for (const Field& f : fields_of(batch, i)) {
    if (out.size() > 1) out.push_back(',');
    append_json_string(out, f.key);
    out.push_back(':');
    if (f.type == FieldType::kString) {
      append_json_string(out, f.value);
    } else {
      out.append(f.value);
    }
  }
  return out + "}";
}

inline ParseCounts run_parser(FieldParser& parser, Batch& batch, OnError on_error = OnError::kKeep,
                              std::string field = "message") {
  ParseSettings settings;
  settings.field = std::move(field);
  settings.on_error = on_error;
  double hint = 8;
  return parse_batch(batch, settings, parser, hint);
}

}  // namespace logagent::testing
