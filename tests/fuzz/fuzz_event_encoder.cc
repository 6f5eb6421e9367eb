// Fuzz target: the JSON event encoder (agent/codec/event_encoder.h) on batches with parsed fields.
//
// Input: '\n'-separated lines. The first line is the source path (and seeds the read time and
// event times); each further line is an event: pieces separated by 0x1F, the first the message,
// each other "T key=value" a field whose type is chosen by the byte T (values of non-string
// types are replaced by valid JSON when they are not, as fields.h requires of parsers). A
// message starting with 0x01 is flagged truncated, with 0x02 dropped.
//
// Checks: one valid JSON object per live event with the metadata keys and one key per distinct
// field key, none twice (check_encoding in fuzz_support.h), and valid UTF-8 strings come back
// unchanged: message, file and string fields (the last value of a repeated key).
#include <fmt/format.h>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "agent/api/source.h"
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
  return 0;
}
