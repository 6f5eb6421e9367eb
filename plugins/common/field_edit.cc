#include "plugins/common/field_edit.h"

#include <algorithm>

namespace logagent {

size_t find_field(const Batch& batch, size_t event, std::string_view key) {
  if (event >= batch.spans.size()) return kNoField;
  const FieldSpan s = batch.spans[event];
  for (size_t i = s.begin + s.count; i > s.begin; --i) {
    if (batch.fields[i - 1].key == key) return i - 1;
  }
  return kNoField;
}

std::optional<std::string_view> field_value(const Batch& batch, size_t event,
                                            std::string_view name) {
  if (name == "message") return batch.events[event].message;
  const size_t i = find_field(batch, event, name);
  if (i != kNoField) return batch.fields[i].value;
  if (batch.source) {
    if (const SourceField* f = batch.source->field(name)) return std::string_view(f->value);
  }
  return std::nullopt;
}

FieldSpan& span_at_end(Batch& batch, size_t event) {
  if (batch.spans.size() < batch.events.size()) batch.spans.resize(batch.events.size());
  FieldSpan& span = batch.spans[event];
  const auto end = static_cast<uint32_t>(batch.fields.size());
  if (span.count == 0) {
    span.begin = end;
  } else if (span.begin + span.count != end) {
    // Copy by index: push_back may reallocate the vector we read from. Grow geometrically
    // (a bare reserve(size + count) per event would reallocate every time).
    const size_t need = batch.fields.size() + span.count + 1;
    if (need > batch.fields.capacity()) {
      batch.fields.reserve(std::max(need, batch.fields.capacity() * 2));
    }
    for (uint32_t i = 0; i < span.count; ++i) batch.fields.push_back(batch.fields[span.begin + i]);
    span.begin = end;
  }
  return span;
}

void append_event_field(Batch& batch, size_t event, Field field) {
  FieldSpan& span = span_at_end(batch, event);
  batch.fields.push_back(field);
  ++span.count;
}

void set_event_field(Batch& batch, size_t event, Field field) {
  const size_t i = find_field(batch, event, field.key);
  if (i != kNoField) {
    batch.fields[i].value = field.value;
    batch.fields[i].type = field.type;
    return;
  }
  append_event_field(batch, event, field);
}

size_t remove_event_field(Batch& batch, size_t event, std::string_view key) {
  if (event >= batch.spans.size()) return 0;
  FieldSpan& span = batch.spans[event];
  const auto first = batch.fields.begin() + span.begin;
  const auto last = first + span.count;
  const auto kept = std::remove_if(first, last, [key](const Field& f) { return f.key == key; });
  const auto removed = static_cast<size_t>(last - kept);
  span.count -= static_cast<uint32_t>(removed);
  if (span.count == 0) span.begin = 0;
  return removed;
}

void reserve_for_append(Batch& batch, size_t per_event) {
  const size_t need = batch.fields.size() * 2 + batch.events.size() * per_event;
  if (need > batch.fields.capacity()) batch.fields.reserve(need);
}

uint64_t stable_hash(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb53ba9e63b39ull;
  h ^= h >> 33;
  return h;
}

}  // namespace logagent
