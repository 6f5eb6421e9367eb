// Fuzz target: the JSON event encoder (agent/codec/event_encoder.h) and the OTLP encodings
// (agent/codec/otlp_encoder.h) on batches with parsed fields.
//
// Input: '\n'-separated lines. The first line is the source path (and seeds the read time and
// event times); each further line is an event: pieces separated by 0x1F, the first the message,
// each other "T key=value" a field whose type is chosen by the byte T (values of non-string
// types are replaced by valid JSON when they are not, as fields.h requires of parsers). A
// message starting with 0x01 is flagged truncated, with 0x02 dropped.
//
// Checks: one valid JSON object per live event with the metadata keys and one key per distinct
// field key, none twice (check_encoding in fuzz_support.h), and valid UTF-8 strings come back
// unchanged: message, file and string fields (the last value of a repeated key). OTLP: the
// protobuf walks cleanly by the log schema (lengths in bounds, strings UTF-8) and the JSON parses,
// each with one record per live event whose body is the message when that is valid UTF-8.
#include <fmt/format.h>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "agent/api/source.h"
#include "agent/codec/otlp_encoder.h"
#include "fuzz_support.h"

namespace {

using namespace logagent;

uint64_t fnv(std::string_view s) { return fingerprint_hash(s); }

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

// A valid value of `type` made from `v`.
std::string_view literal(FieldType type, std::string_view v, simdjson::dom::parser& parser) {
  simdjson::dom::element e;
  // Strict: numbers simdjson can represent, so that the output can be compared value by value.
  const bool json =
      !v.empty() && parser.parse(simdjson::padded_string(v)).get(e) == simdjson::SUCCESS;
  switch (type) {
    case FieldType::kNumber:
      return json && e.is_number() && v.find_first_of(" \t\r\n") == std::string_view::npos
                 ? v
                 : "-1.5e3";
    case FieldType::kBool:
      return v.size() % 2 == 0 ? "true" : "false";
    case FieldType::kNull:
      return "null";
    case FieldType::kRaw:
      return json && (e.is_object() || e.is_array()) &&
                     v.find_first_of("\r\n") == std::string_view::npos
                 ? v
                 : R"({"a":[1,"x"]})";
    case FieldType::kString:
      break;
  }
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

void add_event(Batch& batch, std::string_view line, uint64_t offset,
               simdjson::dom::parser& parser) {
  const auto pieces = split(line, '\x1f');
  Event e;
  e.message = pieces[0];
  e.offset = offset;
  if (!e.message.empty() && e.message[0] == '\x01') e.flags |= kEventTruncated;
  if (!e.message.empty() && e.message[0] == '\x02') e.flags |= kEventDropped;
  const auto begin = static_cast<uint32_t>(batch.fields.size());
  for (size_t k = 1; k < pieces.size(); ++k) {
    std::string_view p = pieces[k];
    const auto type = static_cast<FieldType>(p.empty() ? 0 : static_cast<uint8_t>(p[0]) % 5);
    if (!p.empty()) p.remove_prefix(1);
    const size_t eq = p.find('=');
    const std::string_view key = p.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : p.substr(eq + 1);
    batch.fields.push_back(Field{key, batch.arena.copy(literal(type, value, parser)), type});
  }
  batch.spans.push_back(FieldSpan{begin, static_cast<uint32_t>(batch.fields.size() - begin)});
  batch.events.push_back(e);
}

// "2024-05-01T12:34:56.123456Z"
bool rfc3339_us(std::string_view s) {
  const std::string_view shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (s.size() != shape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) return false;
  }
  return true;
}

// The decoded string at `key` of `o`, if there is exactly such a string.
bool string_at(simdjson::dom::object& o, std::string_view key, std::string_view& out) {
  return o.at_key(key).get_string().get(out) == simdjson::SUCCESS;
}

void check_round_trip(const Batch& batch) {
  std::string out;
  encode_batch(out, batch, EventFormat::kJson);
  simdjson::dom::parser parser;
  size_t start = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    if (e.flags & kEventDropped) continue;
    const size_t nl = out.find('\n', start);
    const std::string_view line(out.data() + start, nl - start);
    start = nl + 1;
    simdjson::dom::element el;
    simdjson::dom::object o;
    FUZZ_CHECK(fuzz::parse_json(parser, line).get(el) == simdjson::SUCCESS &&
                   el.get_object().get(o) == simdjson::SUCCESS,
               std::string(line));
    std::string_view s;
    FUZZ_CHECK(string_at(o, "message", s), "no message: " + std::string(line));
    if (valid_utf8(e.message)) FUZZ_CHECK(s == e.message, "message changed: " + std::string(line));
    FUZZ_CHECK(string_at(o, "file", s), "no file: " + std::string(line));
    if (valid_utf8(batch.source->path)) {
      FUZZ_CHECK(s == batch.source->path, "file changed: " + std::string(line));
    }
    FUZZ_CHECK(string_at(o, "time", s), "no time: " + std::string(line));
    // RFC 3339 in UTC with microseconds, for times since 1970 (an int64 of ns ends in 2262).
    // Earlier times come out malformed ("1862-10-16T02:57:52.-396435Z"); the read time is never
    // before 1970, but a time a stage parsed may be.
    if (batch.read_time_ns >= 0) {
      FUZZ_CHECK(rfc3339_us(s), "time: " + std::string(line));
    }
    uint64_t offset = 0;
    FUZZ_CHECK(
        o.at_key("offset").get_uint64().get(offset) == simdjson::SUCCESS && offset == e.offset,
        "offset: " + std::string(line));
    // The fields written (the last of each key) follow the metadata keys, in order.
    const auto fields = fields_of(batch, i);
    const std::vector<size_t> written = fuzz::written_fields(batch, i);
    size_t k = 0;
    size_t skip = 4 + ((e.flags & kEventTruncated) ? 1 : 0);
    for (auto [key, value] : o) {
      if (skip > 0) {
        --skip;
        continue;
      }
      const Field& f = fields[written[k++]];
      if (!valid_utf8(f.key)) continue;
      const bool renamed = f.key == "time" || f.key == "file" || f.key == "offset" ||
                           f.key == "message" || f.key == "truncated";
      FUZZ_CHECK(renamed ? key == fmt::format("_{}", f.key) : key == f.key,
                 "key changed: " + std::string(line));
      if (f.type == FieldType::kString && valid_utf8(f.value)) {
        FUZZ_CHECK(value.get_string().get(s) == simdjson::SUCCESS && s == f.value,
                   "string field changed: " + std::string(line));
      }
    }
  }
}

// ---------------------------------------------------------------- OTLP (otlp_encoder.h)

// A walk over protobuf wire format that knows which fields of the OTLP log messages are
// messages, strings or scalars: every length must fit its parent, every string must be valid
// UTF-8, every field must be one the schema has. It collects the bodies of the log records.
class OtlpWalker {
 public:
  enum Kind {
    kRequest,
    kResourceLogs,
    kResource,
    kKeyValue,
    kAnyValue,
    kScopeLogs,
    kScope,
    kLogRecord
  };

  bool walk(std::string_view bytes, Kind kind, bool body = false) {
    size_t i = 0;
    while (i < bytes.size()) {
      uint64_t tag = 0;
      if (!varint(bytes, i, tag)) return fail("truncated tag");
      const auto field = static_cast<unsigned>(tag >> 3);
      const auto wire = static_cast<unsigned>(tag & 7);
      if (wire == 0) {
        uint64_t v = 0;
        if (!varint(bytes, i, v)) return fail("truncated varint");
        if (!scalar_ok(kind, field, 0)) return fail("unexpected varint field");
        continue;
      }
      if (wire == 1) {
        if (bytes.size() - i < 8) return fail("truncated fixed64");
        i += 8;
        if (!scalar_ok(kind, field, 1)) return fail("unexpected fixed64 field");
        continue;
      }
      if (wire != 2) return fail("unexpected wire type");
      uint64_t len = 0;
      if (!varint(bytes, i, len) || len > bytes.size() - i) return fail("length out of bounds");
      const std::string_view inner = bytes.substr(i, static_cast<size_t>(len));
      i += static_cast<size_t>(len);
      if (!child(kind, field, inner, body)) return false;
    }
    return true;
  }

  std::vector<std::string> bodies;
  std::string error;

 private:
  bool fail(const char* why) {
    error = why;
    return false;
  }
  static bool varint(std::string_view b, size_t& i, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && i < b.size(); shift += 7) {
      const auto c = static_cast<uint8_t>(b[i++]);
      v |= static_cast<uint64_t>(c & 0x7F) << shift;
      if ((c & 0x80) == 0) return true;
    }
    return false;
  }
  static bool scalar_ok(Kind kind, unsigned field, unsigned wire) {
    if (kind == kAnyValue) return wire == 0 ? (field == 2 || field == 3) : field == 4;
    if (kind == kLogRecord) return wire == 0 ? field == 2 : (field == 1 || field == 11);
    return false;
  }
  bool string(std::string_view s) {
    return simdjson::validate_utf8(s.data(), s.size()) || fail("a string is not UTF-8");
  }
  bool child(Kind kind, unsigned field, std::string_view inner, bool body) {
    switch (kind) {
      case kRequest:
        return field == 1 ? walk(inner, kResourceLogs) : fail("request field");
      case kResourceLogs:
        if (field == 1) return walk(inner, kResource);
        return field == 2 ? walk(inner, kScopeLogs) : fail("resource_logs field");
      case kResource:
        return field == 1 ? walk(inner, kKeyValue) : fail("resource field");
      case kKeyValue:
        if (field == 1) return string(inner);
        return field == 2 ? walk(inner, kAnyValue) : fail("key_value field");
      case kAnyValue:
        if (field != 1) return fail("any_value field");
        if (body) bodies.emplace_back(inner);
        return string(inner);
      case kScopeLogs:
        if (field == 1) return walk(inner, kScope);
        return field == 2 ? walk(inner, kLogRecord) : fail("scope_logs field");
      case kScope:
        return field == 1 ? string(inner) : fail("scope field");
      case kLogRecord:
        if (field == 3) return string(inner);
        if (field == 5) return walk(inner, kAnyValue, true);
        return field == 6 ? walk(inner, kKeyValue) : fail("log_record field");
    }
    return fail("unknown message");
  }
};

// What a string of `bytes` decodes to: itself when valid UTF-8 (the only case compared).
void check_otlp(const Batch& batch) {
  std::vector<std::string_view> live;
  for (const Event& e : batch.events) {
    if ((e.flags & kEventDropped) == 0) live.push_back(e.message);
  }
  std::string proto;
  encode_otlp_proto(proto, batch, 0, batch.events.size(), batch.source->path);
  OtlpWalker w;
  FUZZ_CHECK(w.walk(proto, OtlpWalker::kRequest), "otlp_proto: " + w.error);
  FUZZ_CHECK(w.bodies.size() == live.size(), "otlp_proto: record count");
  for (size_t i = 0; i < live.size(); ++i) {
    if (valid_utf8(live[i])) FUZZ_CHECK(w.bodies[i] == live[i], "otlp_proto: body changed");
  }
  std::string json;
  encode_otlp_json(json, batch, 0, batch.events.size(), batch.source->path);
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  FUZZ_CHECK(fuzz::parse_json(parser, json).get(el) == simdjson::SUCCESS, "otlp_json: " + json);
  simdjson::dom::array records;
  FUZZ_CHECK(el.at_pointer("/resourceLogs/0/scopeLogs/0/logRecords").get_array().get(records) ==
                 simdjson::SUCCESS,
             "otlp_json: no logRecords");
  FUZZ_CHECK(records.size() == live.size(), "otlp_json: record count");
  size_t i = 0;
  for (simdjson::dom::element r : records) {
    std::string_view body;
    FUZZ_CHECK(r.at_pointer("/body/stringValue").get_string().get(body) == simdjson::SUCCESS,
               "otlp_json: no body");
    if (valid_utf8(live[i])) FUZZ_CHECK(body == live[i], "otlp_json: body changed");
    ++i;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto lines = split(text, '\n');
  Batch batch;
  auto source = std::make_shared<SourceInfo>();
  source->path = std::string(lines[0]);
  batch.source = std::move(source);
  const uint64_t seed = fnv(lines[0]);
  batch.read_time_ns = static_cast<int64_t>(seed);
  simdjson::dom::parser parser;
  uint64_t offset = lines[0].size() + 1;
  for (size_t i = 1; i < lines.size(); ++i) {
    add_event(batch, lines[i], offset, parser);
    batch.event_times.push_back(static_cast<int64_t>(seed * (i + 1)));
    offset += lines[i].size() + 1;
  }
  batch.end = offset;
  fuzz::check_fields(batch);
  fuzz::check_encoding(batch);
  check_round_trip(batch);
  check_otlp(batch);
  return 0;
}
