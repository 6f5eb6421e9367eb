// A journal entry as an event: message, the mapped fields, the entry's time, and a cut when the
// entry is larger than the room given.
#include "plugins/inputs/journald/entry_mapper.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fake_journal.h"

namespace logagent::plugins::journald {
namespace {

std::string field_of(const Batch& b, size_t event, std::string_view key, FieldType* type) {
  for (const Field& f : fields_of(b, event)) {
    if (f.key == key) {
      if (type != nullptr) *type = f.type;
      return std::string(f.value);
    }
  }
  return "<none>";
}

}  // namespace

TEST_CASE("an entry's MESSAGE, PRIORITY, _PID, _SYSTEMD_UNIT, _HOSTNAME and time are mapped") {
  testing::FakeJournal j;
  auto e = testing::FakeJournal::entry(1, "started nginx");
  e.fields["PRIORITY"] = std::string("6");
  e.fields["_PID"] = std::string("4242");
  e.fields["_SYSTEMD_UNIT"] = std::string("nginx.service");
  e.fields["_HOSTNAME"] = std::string("web-1");
  e.fields["SYSLOG_IDENTIFIER"] = std::string("nginx");  // not mapped
  e.realtime_usec = 1764979200123456;
  j.entries.push_back(e);
  REQUIRE(j.next() == 1);
  EntryScratch scratch;
  const JournalEntry entry = read_entry(j, scratch);
  Batch b;
  std::vector<char> buf(entry_bytes(entry));
  CHECK(add_entry(b, buf.data(), buf.size(), entry, 77) == buf.size());
  REQUIRE(b.events.size() == 1);
  CHECK(b.events[0].message == "started nginx");
  CHECK(b.events[0].offset == 77);
  CHECK(b.events[0].flags == 0);
  FieldType type = FieldType::kNull;
  CHECK(field_of(b, 0, "priority", &type) == "6");
  CHECK(type == FieldType::kNumber);
  CHECK(field_of(b, 0, "pid", &type) == "4242");
  CHECK(type == FieldType::kNumber);
  CHECK(field_of(b, 0, "unit", &type) == "nginx.service");
  CHECK(type == FieldType::kString);
  CHECK(field_of(b, 0, "hostname", nullptr) == "web-1");
  CHECK(fields_of(b, 0).size() == 4);
  CHECK(event_time_ns(b, 0) == 1764979200123456000);
  // The text lives in the buffer handed over, not in the journal's memory.
  CHECK(b.events[0].message.data() == buf.data());
}

TEST_CASE(
    "an entry without the mapped fields has only its message; a PRIORITY not a number is a "
    "string") {
  Batch b;
  JournalEntry only;
  only.message = "hello";
  JournalEntry odd;
  odd.message = "x";
  odd.priority = "high";
  std::vector<char> buf(64);
  size_t used = add_entry(b, buf.data(), buf.size(), only, 0);
  add_entry(b, buf.data() + used, buf.size() - used, odd, 6);
  REQUIRE(b.events.size() == 2);
  CHECK(fields_of(b, 0).empty());
  FieldType type = FieldType::kNull;
  CHECK(field_of(b, 1, "priority", &type) == "high");
  CHECK(type == FieldType::kString);
  CHECK(b.spans.size() == 2);
  CHECK(b.event_times.size() == 2);
}

TEST_CASE("an entry larger than the room has its message cut and is flagged truncated") {
  Batch b;
  JournalEntry e;
  const std::string message(100, 'm');
  e.message = message;
  e.unit = "a.service";  // 9 bytes
  std::vector<char> buf(50);
  CHECK(add_entry(b, buf.data(), buf.size(), e, 0) == 50);
  CHECK(b.events[0].message == std::string(41, 'm'));
  CHECK((b.events[0].flags & kEventTruncated) != 0);
  CHECK(field_of(b, 0, "unit", nullptr) == "a.service");

  Batch tiny;
  std::vector<char> small(5);
  CHECK(add_entry(tiny, small.data(), small.size(), e, 0) == 5);
  CHECK(tiny.events[0].message == "mmmmm");
  CHECK(fields_of(tiny, 0).empty());  // not even the fields fit
}

}  // namespace logagent::plugins::journald
