#include "plugins/common/partial_joiner.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "agent/api/source.h"
#include "plugins/common/field_edit.h"

namespace logagent {
namespace {

const Field kUnfinished{"_partial", "true", FieldType::kBool};

}  // namespace

void PartialJoiner::join(Batch& batch, const std::vector<uint8_t>& tags) {
  const bool continues = batch.state != nullptr && !batch.source_end;
  const uint64_t id = batch.state != nullptr ? batch.state->id() : 0;
  if (batch.state != nullptr) restore(batch, id);
  for (size_t i = 0; i < tags.size() && i < batch.events.size(); ++i) {
    const uint8_t t = tags[i];
    if (!(t & kPartialParsed) || (batch.events[i].flags & kEventDropped)) continue;
    const size_t stream = (t & kPartialStderr) ? 1 : 0;
    Run& run = runs_[stream];
    if (run.events.empty() && !run.carried.open) {
      // A restart must not begin inside the other stream's open line: it would read its tail.
      const Run& other = runs_[1 - stream];
      const bool other_open = !other.events.empty() || other.carried.open;
      run.safe = std::min(batch.events[i].offset, other_open ? other.safe : kNothingCarried);
    }
    run.events.push_back(i);
    run.bytes += batch.events[i].message.size();
    if (!(t & kPartialPiece)) {
      finish(batch, run, 0, false);
    } else if (run.bytes >= max_bytes_) {
      finish(batch, run, kEventTruncated, false);
    }
  }
  SourceCarry* keep = nullptr;
  for (size_t s = 0; s < 2; ++s) {
    Run& run = runs_[s];
    if (run.events.empty() && !run.carried.open) continue;
    if (!continues) {
      finish(batch, run, 0, true);
      continue;
    }
    if (keep == nullptr) {
      keep = &carried_[id];
      keep->generation = batch.generation;
    }
    carry(batch, run, keep->streams[s]);
  }
}

// Takes what the source's earlier batches carried into runs_; a carry of an older generation
// (the file was truncated since) is emitted at once, unfinished.
void PartialJoiner::restore(Batch& batch, uint64_t id) {
  auto it = carried_.find(id);
  if (it == carried_.end()) return;
  SourceCarry c = std::move(it->second);
  carried_.erase(it);
  for (size_t s = 0; s < 2; ++s) {
    if (!c.streams[s].open) continue;
    if (c.generation != batch.generation) {
      const size_t e = append_event(batch, c.streams[s]);
      append_event_field(batch, e, kUnfinished);
      continue;
    }
    runs_[s].bytes = c.streams[s].bytes.size();
    runs_[s].safe = c.streams[s].safe;
    runs_[s].carried = std::move(c.streams[s]);
  }
}

// Emits `run` as one event: at its first piece in this batch, or appended when only carried
// pieces are left (a source_end batch). `flags` are added; `unfinished` adds `_partial: true`.
void PartialJoiner::finish(Batch& batch, Run& run, uint32_t flags, bool unfinished) {
  size_t host = 0;
  if (run.events.empty()) {
    host = append_event(batch, run.carried);
  } else {
    host = run.events.front();
    const bool carried = run.carried.open;
    if (carried || run.events.size() > 1) {
      const size_t total = run.bytes;
      char* p = total > 0 ? batch.arena.allocate(total) : nullptr;
      size_t at = 0;
      auto put = [&](std::string_view m) {
        if (!m.empty()) std::memcpy(p + at, m.data(), m.size());
        at += m.size();
      };
      put(run.carried.bytes);
      uint32_t cut = run.carried.flags & kEventTruncated;
      for (size_t i : run.events) {
        put(batch.events[i].message);
        cut |= batch.events[i].flags & kEventTruncated;
      }
      Event& first = batch.events[host];
      first.message = std::string_view(p, at);
      first.flags |= cut;
      for (size_t k = 1; k < run.events.size(); ++k) {
        batch.events[run.events[k]].flags |= kEventDropped;
      }
      if (carried) {
        first.offset = run.carried.offset;
        replace_fields(batch, host, run.carried);
      }
    }
  }
  batch.events[host].flags |= flags;
  if (unfinished) append_event_field(batch, host, kUnfinished);
  run.events.clear();
  run.carried = Carried{};
  run.bytes = 0;
}

// Moves the open `run` out of `batch` into `out` (bytes and first piece copied, events dropped),
// and holds the batch's acknowledgement below the run's first byte.
void PartialJoiner::carry(Batch& batch, Run& run, Carried& out) {
  out = std::move(run.carried);
  if (!out.open && !run.events.empty()) {
    const size_t first = run.events.front();
    const Event& e = batch.events[first];
    out.open = true;
    out.offset = e.offset;
    out.flags = e.flags & kEventNoNewline;
    out.time = first < batch.event_times.size() ? batch.event_times[first] : 0;
    out.source = batch.source;
    for (const Field& f : fields_of(batch, first)) {
      out.fields.push_back({std::string(f.key), std::string(f.value), f.type});
    }
  }
  out.bytes.reserve(run.bytes);
  for (size_t i : run.events) {
    Event& e = batch.events[i];
    out.bytes.append(e.message);
    out.flags |= e.flags & kEventTruncated;
    e.flags |= kEventDropped;
  }
  out.safe = run.safe;
  batch.carried_from = std::min(batch.carried_from, out.safe);
  run.events.clear();
  run.carried = Carried{};
  run.bytes = 0;
}

// Event `event`'s fields become copies of the carried first piece's (in the batch's arena).
void PartialJoiner::replace_fields(Batch& batch, size_t event, const Carried& c) {
  FieldSpan& span = span_at_end(batch, event);
  batch.fields.resize(span.begin);
  for (const OwnedField& f : c.fields) {
    batch.fields.push_back(Field{batch.arena.copy(f.key), batch.arena.copy(f.value), f.type});
  }
  span.count = static_cast<uint32_t>(c.fields.size());
  if (c.time != 0) {
    if (batch.event_times.empty()) batch.event_times.assign(batch.events.size(), 0);
    batch.event_times[event] = c.time;
  }
}

// A new event at the end of `batch` holding only carried pieces. Returns its index.
size_t PartialJoiner::append_event(Batch& batch, const Carried& c) {
  Event e;
  e.message = batch.arena.copy(c.bytes);
  e.offset = c.offset;
  e.flags = c.flags;
  batch.events.push_back(e);
  const size_t i = batch.events.size() - 1;
  if (!batch.event_times.empty()) batch.event_times.push_back(0);
  replace_fields(batch, i, c);
  // A source_end batch has the tracker's path; the carried source may say more (metadata).
  if (batch.source_end && c.source != nullptr) batch.source = c.source;
  return i;
}

}  // namespace logagent
