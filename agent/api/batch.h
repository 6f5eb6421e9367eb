// Event and Batch: the unit of work that moves through a lane.
//
// An Event is a view into a pooled Chunk plus metadata; making one allocates nothing. A Batch
// holds the events of one source (file) covering the contiguous byte range [begin, end) of that
// file, and the ChunkRefs that keep their bytes alive. Batches move by unique_ptr through SPSC
// queues, so exactly one thread touches a batch at a time until the sink step, where it is shared
// read-only by every sink of the pipeline; the last sink acknowledgement completes it (see
// SinkAck in plugin.h), the pipeline records [begin, end), and destroying the batch returns its
// chunks to the pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/encoding.h"
#include "agent/api/fields.h"
#include "agent/core/buffer_pool.h"

namespace logagent {

enum EventFlags : uint32_t {
  kEventTruncated = 1u << 0,   // the line was longer than max_line_bytes and was cut
  kEventNoNewline = 1u << 1,   // the last line of a file that did not end with '\n' (--once, EOF)
  kEventDropped = 1u << 2,     // a stage dropped the event; sinks skip it, it still counts as acked
  kEventParseError = 1u << 3,  // a parser stage failed on it (on_error: keep); see field "_error"
};

struct Event {
  std::string_view message;  // the line without its '\n'
  uint64_t offset = 0;       // file offset of the line's first byte
  uint32_t flags = 0;        // EventFlags
  uint32_t reserved = 0;
};

// An attribute of a whole source, owned by its SourceInfo (see below).
struct SourceField {
  std::string key;
  std::string value;
  FieldType type = FieldType::kString;  // the rules of fields.h apply (numbers as JSON text)

  Field view() const { return Field{key, value, type}; }
};

// What a batch came from. Shared by all batches of one file; immutable once published. (Its
// identity within the run is Batch::state->id().)
//
// Source fields: attributes an input knows once per source (e.g. derived from the path when the
// file is opened), set before the first batch is emitted and never per line. Every consumer
// that reads an event's fields by name -- templates, field-reading stages, the encoders -- sees
// them as fields of every event of the source, after the event's own fields: an event field of
// the same name wins (source_field() and field lookups in plugins/common/field_edit.h). Stages
// do not copy them into Batch::fields; they cost nothing per event until something reads them.
struct SourceInfo {
  SourceInfo() = default;
  explicit SourceInfo(std::string source_path, std::vector<SourceField> source_fields = {})
      : path(std::move(source_path)), fields(std::move(source_fields)) {}

  std::string path;                 // path the file was opened at
  std::vector<SourceField> fields;  // source fields, in the order the input set them

  // The source field named `key`, or nullptr.
  const SourceField* field(std::string_view key) const {
    for (const SourceField& f : fields) {
      if (f.key == key) return &f;
    }
    return nullptr;
  }
};

class SourceState;  // source.h
class SinkFanout;   // agent/pipeline: a batch's way through the pipeline's sinks

inline constexpr uint64_t kNothingCarried = UINT64_MAX;

class Batch {
 public:
  std::shared_ptr<const SourceInfo> source;
  // The source's acknowledgement bookkeeping (owned by the pipeline; source.h).
  std::shared_ptr<SourceState> state;
  uint64_t generation = 0;  // bumped when the file was truncated
  uint64_t begin = 0;       // file offset of the first byte covered
  uint64_t end = 0;         // one past the last byte covered
  // Set by a stage that carries this batch's events from this offset on to the source's next
  // batch (an unfinished CRI or Docker partial line, joined when its end arrives): the batch then
  // delivers only the bytes below it, so its acknowledgement moves the checkpoint no further (a
  // restart reads the carried bytes again). kNothingCarried: it delivers all of [begin, end).
  uint64_t carried_from = kNothingCarried;
  // The source's last batch: the input reads no more of it (the pipeline adds it, with no events
  // and an empty range at the source's end, when the input forgets the source). A stage carrying
  // events of the source emits them here; other stages see an empty batch.
  bool source_end = false;
  int64_t read_time_ns = 0;  // CLOCK_REALTIME when the bytes were read
  int64_t read_mono_ns = 0;  // steady clock, for latency/age metrics
  // For an input whose place in its source is not a byte offset (journald: the cursor of the
  // batch's last entry): where to resume once this batch and those before it are acknowledged.
  // Opaque to the core; it becomes the source's CheckpointEntry::position. Empty for files.
  std::string position;
  std::vector<Event> events;
  std::vector<ChunkRef> chunks;  // usually one or two

  uint64_t bytes() const { return end - begin; }
  size_t live_events() const {
    size_t n = 0;
    for (const Event& e : events) n += (e.flags & kEventDropped) == 0;
    return n;
  }

  // Parsed fields (see fields.h). `spans` is empty while no stage has parsed an event, else it
  // has one entry per event: event i owns fields[spans[i].begin, +spans[i].count).
  Arena arena;
  std::vector<Field> fields;
  std::vector<FieldSpan> spans;

  // Event times (ns since the Unix epoch) set by a timestamp stage. Empty while no stage set one;
  // else one entry per event, 0 meaning "not set" (the read time applies).
  std::vector<int64_t> event_times;

  // Filled by the lane's encode step for sinks that asked for it (encoding.h).
  std::vector<Payload> payloads;

 private:
  // The pipeline's alone (its sink step): sinks still to answer, and whether one failed.
  friend class SinkFanout;
  std::atomic<uint32_t> pending_sinks_{0};
  std::atomic<bool> failed_{false};
};

// The time of event `event_index`: the one a stage set, else the read time.
inline int64_t event_time_ns(const Batch& batch, size_t event_index) {
  if (event_index < batch.event_times.size() && batch.event_times[event_index] != 0) {
    return batch.event_times[event_index];
  }
  return batch.read_time_ns;
}

// The payload prepared for `spec`, or nullptr when none was (the sink then encodes itself).
inline const Payload* find_payload(const Batch& batch, const EncodeSpec& spec) {
  for (const Payload& p : batch.payloads) {
    if (p.spec == spec) return &p;
  }
  return nullptr;
}

// The parsed fields of event `event_index` (empty when it has none).
inline std::span<const Field> fields_of(const Batch& batch, size_t event_index) {
  if (event_index >= batch.spans.size()) return {};
  const FieldSpan s = batch.spans[event_index];
  return std::span<const Field>(batch.fields).subspan(s.begin, s.count);
}

// The source fields of the batch's source (empty when it has none).
inline std::span<const SourceField> source_fields_of(const Batch& batch) {
  if (!batch.source) return {};
  return batch.source->fields;
}

// Whether event `event_index` has a field of its own named `key` (parsed fields only; "message"
// is not one).
inline bool event_has_field(const Batch& batch, size_t event_index, std::string_view key) {
  for (const Field& f : fields_of(batch, event_index)) {
    if (f.key == key) return true;
  }
  return false;
}

using BatchPtr = std::unique_ptr<Batch>;

}  // namespace logagent
