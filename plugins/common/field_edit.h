// Field access for processor stages: look up an event's value by name, and edit an event's
// fields in place (append, replace, remove) while keeping them contiguous in Batch::fields.
//
// Names: "message" is the event's line (Event::message); any other name is the last field of
// that name (parsers may repeat keys; the last one wins, as in the json encoding). field_value()
// also sees the source's fields (SourceInfo::fields), which find_field() and the edits do not:
// they are the source's, not the batch's.
//
// Appending to an event whose span is not the last one in Batch::fields first relocates its
// fields to the end (copied; the old entries stay unused until the batch is destroyed). Callers
// that edit many events reserve Batch::fields once per batch (reserve_for_append) so that the
// hot path does not reallocate per event.
//
// Threads: a batch belongs to one thread at a time (see batch.h); these functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "agent/api/batch.h"

namespace logagent {

inline constexpr size_t kNoField = static_cast<size_t>(-1);

// Index into batch.fields of the last field named `key` of event `event`, or kNoField.
size_t find_field(const Batch& batch, size_t event, std::string_view key);

// The value of `name` for event `event`: the message for "message", else the last field of that
// name, else the source field of that name (batch.h); nullopt when there is none.
std::optional<std::string_view> field_value(const Batch& batch, size_t event,
                                            std::string_view name);

// Makes batch.spans cover every event (new spans are empty) and puts event `event`'s fields at
// the end of batch.fields, relocating them when needed. Returns the event's span.
FieldSpan& span_at_end(Batch& batch, size_t event);

// Appends `field` to event `event` (relocating its span when needed).
void append_event_field(Batch& batch, size_t event, Field field);

// Replaces the value of the last field named `field.key` of event `event`, or appends `field`.
void set_event_field(Batch& batch, size_t event, Field field);

// Removes every field named `key` from event `event` (order of the others kept). Returns how
// many were removed.
size_t remove_event_field(Batch& batch, size_t event, std::string_view key);

// Reserves batch.fields for `per_event` more fields on each event plus one relocation of every
// existing field, so that a pass of append/set over the batch does not reallocate.
void reserve_for_append(Batch& batch, size_t per_event);

// A stable 64-bit hash of `bytes` (FNV-1a with a murmur3 finaliser): the same on every run and
// host, so sampling decisions survive restarts.
uint64_t stable_hash(std::string_view bytes);

}  // namespace logagent
