#include "plugins/inputs/journald/entry_mapper.h"

#include <algorithm>
#include <cstring>

namespace logagent::plugins::journald {
namespace {

// A decimal integer as journald writes PRIORITY and _PID: digits only, not too long for JSON.
bool is_number(std::string_view v) {
  if (v.empty() || v.size() > 18) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Copies `v` to `dst` and returns the copy.
std::string_view copy_to(char*& dst, std::string_view v) {
  if (v.empty()) return {};
  std::memcpy(dst, v.data(), v.size());
  std::string_view out(dst, v.size());
  dst += v.size();
  return out;
}

}  // namespace

JournalEntry read_entry(Journal& journal, EntryScratch& scratch) {
  JournalEntry e;
  e.realtime_usec = journal.realtime_usec();
  scratch.priority.assign(journal.field("PRIORITY"));
  scratch.pid.assign(journal.field("_PID"));
  scratch.unit.assign(journal.field("_SYSTEMD_UNIT"));
  scratch.hostname.assign(journal.field("_HOSTNAME"));
  e.priority = scratch.priority;
  e.pid = scratch.pid;
  e.unit = scratch.unit;
  e.hostname = scratch.hostname;
  e.message = journal.field("MESSAGE");  // last: valid until the journal's next call
  return e;
}

size_t entry_bytes(const JournalEntry& e) {
  return e.message.size() + e.priority.size() + e.pid.size() + e.unit.size() + e.hostname.size();
}

size_t add_entry(Batch& batch, char* dst, size_t room, const JournalEntry& e, uint64_t offset) {
  const size_t fields = entry_bytes(e) - e.message.size();
  uint32_t flags = 0;
  bool keep_fields = true;
  std::string_view message = e.message;
  if (entry_bytes(e) > room) {  // cut the message; without room for the fields, drop them too
    flags |= kEventTruncated;
    keep_fields = fields < room;
    message = message.substr(0, keep_fields ? room - fields : room);
  }
  char* const start = dst;
  Event ev;
  ev.message = copy_to(dst, message);
  ev.offset = offset;
  ev.flags = flags;
  const auto begin = static_cast<uint32_t>(batch.fields.size());
  if (keep_fields) {
    const struct {
      std::string_view key;
      std::string_view value;
      bool numeric;
    } mapped[] = {{"priority", e.priority, true},
                  {"pid", e.pid, true},
                  {"unit", e.unit, false},
                  {"hostname", e.hostname, false}};
    for (const auto& m : mapped) {
      if (m.value.empty()) continue;
      const FieldType type =
          m.numeric && is_number(m.value) ? FieldType::kNumber : FieldType::kString;
      batch.fields.push_back(Field{m.key, copy_to(dst, m.value), type});
    }
  }
  // Spans and times have one entry per event (fields.h, batch.h): filled up to this one.
  batch.spans.resize(batch.events.size());
  batch.spans.push_back(FieldSpan{begin, static_cast<uint32_t>(batch.fields.size() - begin)});
  batch.event_times.resize(batch.events.size());
  batch.event_times.push_back(static_cast<int64_t>(e.realtime_usec) * 1000);
  batch.events.push_back(ev);
  return static_cast<size_t>(dst - start);
}

}  // namespace logagent::plugins::journald
