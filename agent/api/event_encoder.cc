#include "agent/api/event_encoder.h"

#include <fmt/format.h>

#include <cstring>
#include <ctime>

namespace logagent {
namespace {

// Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not valid.
size_t utf8_sequence(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, min = 0x80, cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, min = 0x800, cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, min = 0x10000, cp = c & 0x07u;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// The JSON string body of `bytes`, without quotes.
void append_json_chars(std::string& out, std::string_view bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    while (run < n && plain(s[run])) ++run;
    out.append(bytes.data() + i, run - i);
    i = run;
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c >= 0x80) {
      const size_t len = utf8_sequence(s + i, n - i);
      if (len == 0) {
        out.append("\xEF\xBF\xBD");  // U+FFFD
        ++i;
      } else {
        out.append(bytes.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        break;
    }
    ++i;
  }
}

bool is_metadata_key(std::string_view key) {
  return key == "time" || key == "file" || key == "offset" || key == "message" ||
         key == "truncated";
}

// ,"key":value for each field; keys that collide with metadata keys get a "_" prefix.
void append_fields(std::string& out, std::span<const Field> fields) {
  for (const Field& f : fields) {
    out.append(is_metadata_key(f.key) ? ",\"_" : ",\"");
    append_json_chars(out, f.key);
    out.append("\":");
    if (f.type == FieldType::kString) {
      append_json_string(out, f.value);
    } else {
      out.append(f.value.empty() ? std::string_view("null") : f.value);  // never invalid JSON
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view bytes) {
  out.push_back('"');
  append_json_chars(out, bytes);
  out.push_back('"');
}

std::string format_rfc3339_us(int64_t unix_ns) {
  const time_t secs = static_cast<time_t>(unix_ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unix_ns % 1000000000) / 1000);
}

void encode_batch(std::string& out, const Batch& batch, EventFormat format) {
  if (format == EventFormat::kRaw) {
    for (const Event& e : batch.events) {
      if (e.flags & kEventDropped) continue;
      out.append(e.message);
      out.push_back('\n');
    }
    return;
  }
  // Everything before "offset" is the same for the whole batch: build it once.
  std::string prefix = "{\"time\":\"" + format_rfc3339_us(batch.read_time_ns) + "\",\"file\":";
  append_json_string(prefix, batch.source ? std::string_view(batch.source->path) : "");
  prefix += ",\"offset\":";
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    if (e.flags & kEventDropped) continue;
    out.append(prefix);
    fmt::format_to(std::back_inserter(out), "{}", e.offset);
    out.append(",\"message\":");
    append_json_string(out, e.message);
    if (e.flags & kEventTruncated) out.append(",\"truncated\":true");
    append_fields(out, fields_of(batch, i));
    out.append("}\n");
  }
}

}  // namespace logagent
