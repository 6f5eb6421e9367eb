// The json and raw event encodings (event_encoder.h); strings go through json_string.cc.
#include "agent/codec/event_encoder.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "agent/codec/json_keys.h"
#include "agent/codec/json_output.h"
#include "agent/core/clock.h"

namespace logagent {
namespace {

using json_detail::escape_short;
using json_detail::is_metadata_key;
using json_detail::kPieceBytes;
using json_detail::kSlack;
using json_detail::Output;
using json_detail::put_json_chars;
using json_detail::put_json_string;
using json_detail::put_lit;
using json_detail::RepeatedKeys;

// ---------------------------------------------------------------------------------------------
// Times: "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", the date and time reformatted only when the second
// changes.

constexpr size_t kTimeBytes = 27;
constexpr int64_t kNsPerSecond = 1'000'000'000;

constexpr char kDigits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline void two_digits(char* p, unsigned v) { std::memcpy(p, kDigits2 + 2 * v, 2); }

class TimeText {
 public:
  // The text of `unix_ns` (floor to the microsecond), valid until the next call.
  const char* format(int64_t unix_ns) {
    int64_t sec = unix_ns / kNsPerSecond;
    int64_t ns = unix_ns % kNsPerSecond;
    if (ns < 0) ns += kNsPerSecond, --sec;
    if (sec != sec_) set_second(sec);
    auto us = static_cast<unsigned>(ns / 1000);
    two_digits(text_ + 24, us % 100);
    us /= 100;
    two_digits(text_ + 22, us % 100);
    two_digits(text_ + 20, us / 100);
    return text_;
  }

 private:
  void set_second(int64_t sec) {
    sec_ = sec;
    int64_t days = sec / 86400;
    int64_t rem = sec % 86400;
    if (rem < 0) rem += 86400, --days;
    const CivilDate date = civil_from_days(days);
    const auto year = static_cast<unsigned>(date.year);
    const unsigned month = date.month;
    const unsigned day = date.day;
    two_digits(text_, (year / 100) % 100);
    two_digits(text_ + 2, year % 100);
    two_digits(text_ + 5, month);
    two_digits(text_ + 8, day);
    const auto r = static_cast<unsigned>(rem);
    two_digits(text_ + 11, r / 3600);
    two_digits(text_ + 14, r / 60 % 60);
    two_digits(text_ + 17, r % 60);
  }

  int64_t sec_ = INT64_MIN;
  char text_[kTimeBytes + 1] = "0000-00-00T00:00:00.000000Z";
};

// ---------------------------------------------------------------------------------------------
// Events.

// ,"key":value of one field: one room check unless it is large.
void put_field(Output& out, const Field& f) {
  const bool prefixed = is_metadata_key(f.key);
  const bool string = f.type == FieldType::kString;
  const std::string_view value =
      string || !f.value.empty() ? f.value : std::string_view("null");  // never invalid JSON
  if (f.key.size() + value.size() <= kPieceBytes) {
    char* o = out.room(6 * (f.key.size() + value.size()) + 2 * kSlack + 8);
    o = prefixed ? put_lit(o, ",\"_") : put_lit(o, ",\"");
    o = escape_short(o, f.key);
    o = put_lit(o, "\":");
    if (string) {
      *o++ = '"';
      o = escape_short(o, value);
      *o++ = '"';
    } else {
      std::memcpy(o, value.data(), value.size());
      o += value.size();
    }
    out.commit(o);
    return;
  }
  char* p = out.room(3);
  out.commit(prefixed ? put_lit(p, ",\"_") : put_lit(p, ",\""));
  put_json_chars(out, f.key);
  p = out.room(2);
  out.commit(put_lit(p, "\":"));
  if (string) {
    put_json_string(out, value);
  } else {
    out.put(value);
  }
}

// Every field whose key no later field has. Written in one pass while the keys' hashes are
// noted; only when a hash came twice (rare) are the keys compared, and when two are really the
// same the fields are written again without the superseded ones.
void put_fields(Output& out, std::span<const Field> fields) {
  const size_t mark = out.size();
  RepeatedKeys repeated;
  for (size_t i = 0; i < fields.size(); ++i) {
    repeated.add(i, fields[i].key);
    put_field(out, fields[i]);
  }
  if (!repeated.any(fields)) return;
  out.truncate(mark);
  for (size_t i = 0; i < fields.size(); ++i) {
    // The last value of a key wins.
    if (!repeated.superseded(fields, i, is_metadata_key(fields[i].key))) put_field(out, fields[i]);
  }
}

// The source fields as the json text put_field() writes for them, once per batch.
std::string source_fields_json(const Batch& batch) {
  std::string out;
  for (const SourceField& sf : source_fields_of(batch)) {
    const Field f = sf.view();
    out += ',';
    if (is_metadata_key(f.key)) {
      append_json_string(out, "_" + sf.key);
    } else {
      append_json_string(out, f.key);
    }
    out += ':';
    if (f.type == FieldType::kString) {
      append_json_string(out, f.value);
    } else {
      out += f.value.empty() ? std::string_view("null") : f.value;
    }
  }
  return out;
}

// The source fields an event has no field of its own for: all of them (`json`, as one piece) in
// the common case, else each one that no event field is written under.
void put_source_fields(Output& out, const Batch& batch, size_t i, std::string_view json) {
  const std::span<const Field> own = fields_of(batch, i);
  const auto shadowed = [&own](const Field& sf) {
    const bool sf_prefixed = is_metadata_key(sf.key);
    for (const Field& f : own) {
      if (json_detail::same_written_key(sf, sf_prefixed, f, is_metadata_key(f.key))) return true;
    }
    return false;
  };
  bool any = false;
  for (const SourceField& sf : source_fields_of(batch)) any = any || shadowed(sf.view());
  if (!any) {
    out.put(json);
    return;
  }
  for (const SourceField& sf : source_fields_of(batch)) {
    if (!shadowed(sf.view())) put_field(out, sf.view());
  }
}

// A guess of the json size of the batch, to size `out` once (it may still grow).
size_t json_estimate(const Batch& batch, size_t head_bytes) {
  size_t n = 0;
  for (const Event& e : batch.events) n += e.message.size() + head_bytes + 64;
  for (const Field& f : batch.fields) n += f.key.size() + f.value.size() + 8;
  return n;
}

// What every event of a batch shares: the text between the time and the offset, and the source
// fields.
struct BatchText {
  explicit BatchText(const Batch& batch) : source_json(source_fields_json(batch)) {
    append_json_string(mid, batch.source ? std::string_view(batch.source->path) : "");
    mid += ",\"offset\":";
  }
  std::string mid = "\",\"file\":";
  std::string source_json;
};

// Event `i` as one json object followed by "\n".
inline void put_event(Output& out, TimeText& time, const Batch& batch, size_t i,
                      const BatchText& text) {
  constexpr size_t kHeadRoom = 9 + kTimeBytes + 20 + 12;  // {"time":" time offset ,"message":"
  const Event& e = batch.events[i];
  char* p = out.room(9 + kTimeBytes);
  p = put_lit(p, "{\"time\":\"");
  std::memcpy(p, time.format(event_time_ns(batch, i)), kTimeBytes);
  out.commit(p + kTimeBytes);
  out.put(text.mid);
  p = out.room(kHeadRoom);
  p = std::to_chars(p, p + 20, e.offset).ptr;
  p = put_lit(p, ",\"message\":\"");
  out.commit(p);
  put_json_chars(out, e.message);
  p = out.room(20);
  p = (e.flags & kEventTruncated) ? put_lit(p, "\",\"truncated\":true") : put_lit(p, "\"");
  out.commit(p);
  if (!text.source_json.empty()) put_source_fields(out, batch, i, text.source_json);
  if (i < batch.spans.size() && batch.spans[i].count > 0) put_fields(out, fields_of(batch, i));
  p = out.room(2);
  out.commit(put_lit(p, "}\n"));
}

void encode_json(std::string& out_string, const Batch& batch) {
  // Between the time and the offset, everything is the same for the whole batch.
  const BatchText text(batch);
  out_string.reserve(out_string.size() +
                     json_estimate(batch, text.mid.size() + text.source_json.size() + kTimeBytes));
  Output out(out_string);
  TimeText time;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (batch.events[i].flags & kEventDropped) continue;
    put_event(out, time, batch, i, text);
  }
}
}  // namespace

std::string format_rfc3339_us(int64_t unix_ns) {
  TimeText t;
  return std::string(t.format(unix_ns), kTimeBytes);
}

void encode_batch(std::string& out, const Batch& batch, EventFormat format) {
  if (format == EventFormat::kRaw) {
    size_t n = 0;
    for (const Event& e : batch.events) n += e.message.size() + 1;
    out.reserve(out.size() + n);
    for (const Event& e : batch.events) {
      if (e.flags & kEventDropped) continue;
      out.append(e.message);
      out.push_back('\n');
    }
    return;
  }
  encode_json(out, batch);
}

void encode_events_json(std::string& out, const Batch& batch, std::span<const size_t> events) {
  if (events.empty()) return;
  const BatchText text(batch);
  Output o(out);
  TimeText time;
  for (size_t i : events) {
    if (i < batch.events.size()) put_event(o, time, batch, i, text);
  }
}

}  // namespace logagent
