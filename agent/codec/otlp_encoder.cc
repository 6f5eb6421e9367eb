#include "agent/codec/otlp_encoder.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <span>

#include "agent/codec/json_string.h"

namespace logagent {
namespace {

// ---------------------------------------------------------------- values

// An attribute's or the body's value, ready to be written (strings are valid UTF-8).
struct Any {
  enum Kind { kNone, kString, kBool, kInt, kDouble } kind = kNone;
  std::string_view text;  // kString; the literal for kInt/kDouble in JSON
  int64_t i = 0;
  double d = 0;
  bool b = false;
};

// `bytes` as valid UTF-8: itself when it is, else a copy in `scratch` with U+FFFD for each
// invalid byte.
std::string_view valid_utf8(std::string_view bytes, std::string& scratch) {
  if (is_valid_utf8(bytes)) return bytes;
  scratch.clear();
  append_valid_utf8(scratch, bytes);
  return scratch;
}

Any any_of(const Field& f, std::string& scratch) {
  Any a;
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kRaw:
      a.kind = Any::kString;
      a.text = valid_utf8(f.value, scratch);
      return a;
    case FieldType::kBool:
      a.kind = Any::kBool;
      a.b = f.value == "true";
      return a;
    case FieldType::kNull:
      return a;
    case FieldType::kNumber: {
      const char* first = f.value.data();
      const char* last = first + f.value.size();
      a.text = f.value;
      if (auto [p, ec] = std::from_chars(first, last, a.i); ec == std::errc() && p == last) {
        a.kind = Any::kInt;
        return a;
      }
      if (auto [p, ec] = std::from_chars(first, last, a.d); ec == std::errc() && p == last) {
        a.kind = Any::kDouble;
        return a;
      }
      a.kind = Any::kString;  // not a number after all: kept as its text
      a.text = valid_utf8(f.value, scratch);
      return a;
    }
  }
  return a;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// The event's severity field: the first string field named "level" or "severity".
const Field* severity_field(std::span<const Field> fields) {
  for (const Field& f : fields) {
    if (f.type == FieldType::kString && (f.key == "level" || f.key == "severity")) return &f;
  }
  return nullptr;
}

// ---------------------------------------------------------------- protobuf wire format

enum Wire : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2 };

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

// Every field number used here is below 16: a tag is one byte.
void put_tag(std::string& out, unsigned field, Wire wire) {
  out.push_back(static_cast<char>((field << 3) | wire));
}

void put_fixed64(std::string& out, unsigned field, uint64_t v) {
  put_tag(out, field, kFixed64);
  char buf[8];
  for (char& c : buf) {
    c = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out.append(buf, 8);
}

size_t len_field_size(size_t len) { return 1 + varint_size(len) + len; }

void put_len(std::string& out, unsigned field, size_t len) {
  put_tag(out, field, kLen);
  put_varint(out, len);
}

void put_bytes(std::string& out, unsigned field, std::string_view bytes) {
  put_len(out, field, bytes.size());
  out.append(bytes);
}

// AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4.
size_t any_size(const Any& a) {
  switch (a.kind) {
    case Any::kString:
      return len_field_size(a.text.size());
    case Any::kBool:
      return 2;
    case Any::kInt:
      return 1 + varint_size(static_cast<uint64_t>(a.i));
    case Any::kDouble:
      return 9;
    case Any::kNone:
      break;
  }
  return 0;
}

void put_any(std::string& out, unsigned field, const Any& a) {
  put_len(out, field, any_size(a));
  switch (a.kind) {
    case Any::kString:
      put_bytes(out, 1, a.text);
      break;
    case Any::kBool:
      put_tag(out, 2, kVarint);
      out.push_back(a.b ? 1 : 0);
      break;
    case Any::kInt:
      put_tag(out, 3, kVarint);
      put_varint(out, static_cast<uint64_t>(a.i));
      break;
    case Any::kDouble: {
      uint64_t bits = 0;
      std::memcpy(&bits, &a.d, sizeof(bits));
      put_fixed64(out, 4, bits);
      break;
    }
    case Any::kNone:
      break;
  }
}

// KeyValue: key 1, value 2.
void put_key_value(std::string& out, unsigned field, std::string_view key, const Any& value) {
  const size_t inner = len_field_size(key.size()) + len_field_size(any_size(value));
  put_len(out, field, inner);
  put_bytes(out, 1, key);
  put_any(out, 2, value);
}

// LogRecord: time_unix_nano 1, severity_number 2, severity_text 3, body 5, attributes 6,
// observed_time_unix_nano 11.
void put_record(std::string& rec, const Batch& batch, size_t i, std::string& key_scratch,
                std::string& value_scratch) {
  const Event& e = batch.events[i];
  if (i < batch.event_times.size() && batch.event_times[i] != 0) {
    put_fixed64(rec, 1, static_cast<uint64_t>(batch.event_times[i]));
  }
  const std::span<const Field> fields = fields_of(batch, i);
  if (const Field* sev = severity_field(fields)) {
    const std::string_view text = valid_utf8(sev->value, value_scratch);
    if (const int n = otlp_severity_number(text); n != 0) {
      put_tag(rec, 2, kVarint);
      put_varint(rec, static_cast<uint64_t>(n));
    }
    put_bytes(rec, 3, text);
  }
  Any body;
  body.kind = Any::kString;
  body.text = valid_utf8(e.message, value_scratch);
  put_any(rec, 5, body);
  Any path;
  path.kind = Any::kString;
  path.text = valid_utf8(batch.source ? std::string_view(batch.source->path) : "", value_scratch);
  put_key_value(rec, 6, "log.file.path", path);
  for (const SourceField& sf : source_fields_of(batch)) {
    if (event_has_field(batch, i, sf.key)) continue;
    const Any v = any_of(sf.view(), value_scratch);
    put_key_value(rec, 6, valid_utf8(sf.key, key_scratch), v);
  }
  for (const Field& f : fields) {
    const Any v = any_of(f, value_scratch);
    put_key_value(rec, 6, valid_utf8(f.key, key_scratch), v);
  }
  if ((e.flags & kEventTruncated) != 0) {
    Any t;
    t.kind = Any::kBool;
    t.b = true;
    put_key_value(rec, 6, "logagent.truncated", t);
  }
  put_fixed64(rec, 11, static_cast<uint64_t>(batch.read_time_ns));
}

// ---------------------------------------------------------------- JSON mapping

void put_json_any(std::string& out, const Any& a) {
  switch (a.kind) {
    case Any::kString:
      out += "{\"stringValue\":";
      append_json_string(out, a.text);
      out += '}';
      return;
    case Any::kBool:
      out += a.b ? "{\"boolValue\":true}" : "{\"boolValue\":false}";
      return;
    case Any::kInt:  // int64 is a JSON string in the protobuf JSON mapping
      out += "{\"intValue\":\"";
      out += a.text;
      out += "\"}";
      return;
    case Any::kDouble:
      out += "{\"doubleValue\":";
      out += a.text;
      out += '}';
      return;
    case Any::kNone:
      out += "{}";
      return;
  }
}

void put_json_key_value(std::string& out, std::string_view key, const Any& value) {
  out += "{\"key\":";
  append_json_string(out, key);
  out += ",\"value\":";
  put_json_any(out, value);
  out += '}';
}

void put_json_record(std::string& out, const Batch& batch, size_t i, std::string& scratch) {
  const Event& e = batch.events[i];
  out += '{';
  if (i < batch.event_times.size() && batch.event_times[i] != 0) {
    out += "\"timeUnixNano\":\"";
    out += std::to_string(batch.event_times[i]);
    out += "\",";
  }
  out += "\"observedTimeUnixNano\":\"";
  out += std::to_string(batch.read_time_ns);
  out += '"';
  const std::span<const Field> fields = fields_of(batch, i);
  if (const Field* sev = severity_field(fields)) {
    if (const int n = otlp_severity_number(sev->value); n != 0) {
      out += ",\"severityNumber\":";
      out += std::to_string(n);
    }
    out += ",\"severityText\":";
    append_json_string(out, sev->value);
  }
  out += ",\"body\":{\"stringValue\":";
  append_json_string(out, e.message);
  out += "},\"attributes\":[";
  Any path;
  path.kind = Any::kString;
  path.text = batch.source ? std::string_view(batch.source->path) : "";
  put_json_key_value(out, "log.file.path", path);
  for (const SourceField& sf : source_fields_of(batch)) {
    if (event_has_field(batch, i, sf.key)) continue;
    out += ',';
    put_json_key_value(out, sf.key, any_of(sf.view(), scratch));
  }
  for (const Field& f : fields) {
    out += ',';
    put_json_key_value(out, f.key, any_of(f, scratch));
  }
  if ((e.flags & kEventTruncated) != 0)
    out += R"(,{"key":"logagent.truncated","value":{"boolValue":true}})";
  out += "]}";
}

constexpr std::string_view kScopeName = "logagent";

}  // namespace

int otlp_severity_number(std::string_view text) {
  struct Level {
    std::string_view name;
    int number;
  };
  static constexpr std::array<Level, 16> kLevels = {{{"trace", 1},
                                                     {"debug", 5},
                                                     {"info", 9},
                                                     {"information", 9},
                                                     {"notice", 9},
                                                     {"warn", 13},
                                                     {"warning", 13},
                                                     {"error", 17},
                                                     {"err", 17},
                                                     {"fatal", 21},
                                                     {"critical", 21},
                                                     {"crit", 21},
                                                     {"alert", 21},
                                                     {"emerg", 21},
                                                     {"emergency", 21},
                                                     {"panic", 21}}};
  for (const Level& l : kLevels) {
    if (iequals(text, l.name)) return l.number;
  }
  return 0;
}

void encode_otlp_proto(std::string& out, const Batch& batch, size_t begin, size_t end,
                       std::string_view host) {
  thread_local std::string records;
  thread_local std::string rec;
  thread_local std::string key_scratch;
  thread_local std::string value_scratch;
  records.clear();
  for (size_t i = begin; i < end && i < batch.events.size(); ++i) {
    if ((batch.events[i].flags & kEventDropped) != 0) continue;
    rec.clear();
    put_record(rec, batch, i, key_scratch, value_scratch);
    put_bytes(records, 2, rec);  // ScopeLogs.log_records
  }
  // Resource { attributes 1: host.name }, InstrumentationScope { name 1 }.
  Any host_value;
  host_value.kind = Any::kString;
  host_value.text = valid_utf8(host, value_scratch);
  const size_t kv = len_field_size(len_field_size(9) + len_field_size(any_size(host_value)));
  const size_t resource = kv;
  const size_t scope = len_field_size(kScopeName.size());
  const size_t scope_logs = len_field_size(scope) + records.size();
  const size_t resource_logs = len_field_size(resource) + len_field_size(scope_logs);
  out.reserve(out.size() + len_field_size(resource_logs));
  put_len(out, 1, resource_logs);  // ExportLogsServiceRequest.resource_logs
  put_len(out, 1, resource);       // ResourceLogs.resource
  put_key_value(out, 1, "host.name", host_value);
  put_len(out, 2, scope_logs);    // ResourceLogs.scope_logs
  put_len(out, 1, scope);         // ScopeLogs.scope
  put_bytes(out, 1, kScopeName);  // InstrumentationScope.name
  out += records;
}

void encode_otlp_json(std::string& out, const Batch& batch, size_t begin, size_t end,
                      std::string_view host) {
  thread_local std::string scratch;
  out +=
      R"({"resourceLogs":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":)";
  append_json_string(out, host);
  out += R"(}}]},"scopeLogs":[{"scope":{"name":"logagent"},"logRecords":[)";
  bool first = true;
  for (size_t i = begin; i < end && i < batch.events.size(); ++i) {
    if ((batch.events[i].flags & kEventDropped) != 0) continue;
    if (!first) out += ',';
    first = false;
    put_json_record(out, batch, i, scratch);
  }
  out += "]}]}]}";
}

}  // namespace logagent
