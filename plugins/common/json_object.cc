#include "plugins/common/json_object.h"

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "agent/codec/event_encoder.h"

namespace logagent::plugins::json {
namespace {

namespace od = simdjson::ondemand;

constexpr const char* kNotObject = "json: not a JSON object";
constexpr const char* kTrailing = "json: characters after the object";
constexpr const char* kBadNumber = "json: invalid number";
constexpr const char* kBadLiteral = "json: invalid literal";
constexpr const char* kTooDeep = "json: nesting too deep";

const char* describe(simdjson::error_code e) {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return "json: invalid UTF-8";
    case simdjson::UNESCAPED_CHARS:
      return "json: unescaped control character in a string";
    case simdjson::UNCLOSED_STRING:
      return "json: unclosed string";
    case simdjson::STRING_ERROR:
      return "json: invalid string escape";
    case simdjson::EMPTY:
      return "json: empty";
    case simdjson::INCORRECT_TYPE:
      return kNotObject;
    case simdjson::DEPTH_ERROR:
      return kTooDeep;
    case simdjson::CAPACITY:
    case simdjson::MEMALLOC:
      return "json: document too large";
    default:
      return "json: invalid JSON";
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (is_digit(s[i])) {
    while (i < n && is_digit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    const size_t start = ++i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t start = i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == n;
}

// The first '"' or '\\' at or after `p` (or `end`). Reads 16-byte blocks, up to 15 bytes past
// `end`: the caller guarantees them readable (the text's padding). Strings are short: inline
// blocks beat a call to memchr.
const char* string_stop(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; p < end; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto hits = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
    if (hits != 0) return std::min(p + std::countr_zero(hits), end);
  }
  return end;
#else
  while (p < end && *p != '"' && *p != '\\') ++p;
  return p;
#endif
}

// A scalar token without the whitespace simdjson includes after it.
std::string_view token(od::value& v) {
  std::string_view t = v.raw_json_token();
  while (!t.empty() &&
         (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r'))
    t.remove_suffix(1);
  return t;
}

// The literal text of a number, boolean or null, validated; nullptr error when valid.
const char* check_literal(od::json_type type, std::string_view t) {
  switch (type) {
    case od::json_type::number:
      return is_json_number(t) ? nullptr : kBadNumber;
    case od::json_type::boolean:
      return t == "true" || t == "false" ? nullptr : kBadLiteral;
    case od::json_type::null:
      return t == "null" ? nullptr : kBadLiteral;
    default:
      return kBadLiteral;
  }
}

FieldType field_type(od::json_type type) {
  switch (type) {
    case od::json_type::number:
      return FieldType::kNumber;
    case od::json_type::boolean:
      return FieldType::kBool;
    case od::json_type::null:
      return FieldType::kNull;
    case od::json_type::string:
      return FieldType::kString;
    default:
      return FieldType::kRaw;
  }
}

class JsonParser final : public FieldParser {
 public:
  const char* parse(std::string_view text, FieldWriter& out) override;

 private:
  const char* add_member(od::field& member, FieldWriter& out);
  const char* add_string(std::string_view key, od::value& v, FieldWriter& out);
  const char* write_nested(od::value& v, int depth);
  const char* write_object(od::value& v, int depth);
  const char* write_array(od::value& v, int depth);
  void load(std::string_view text);
  // The original text's bytes for a view into the padded copy.
  std::string_view original(std::string_view in_copy) const {
    return {text_ + (in_copy.data() - padded_.get()), in_copy.size()};
  }

  od::parser parser_;
  std::unique_ptr<char[]> padded_;
  size_t padded_capacity_ = 0;
  const char* text_ = nullptr;
  size_t size_ = 0;
  std::string nested_;  // a nested value being minified
};

void JsonParser::load(std::string_view text) {
  const size_t need = text.size() + simdjson::SIMDJSON_PADDING;
  if (need > padded_capacity_) {
    padded_capacity_ = std::max(need, std::max<size_t>(padded_capacity_ * 2, 4096));
    padded_ = std::make_unique_for_overwrite<char[]>(padded_capacity_);
  }
  std::memcpy(padded_.get(), text.data(), text.size());
  std::memset(padded_.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  text_ = text.data();
  size_ = text.size();
}

const char* JsonParser::parse(std::string_view text, FieldWriter& out) {
  load(text);
  od::document doc;
  if (auto e = parser_.iterate(padded_.get(), size_, padded_capacity_).get(doc)) return describe(e);
  od::object object;
  if (auto e = doc.get_object().get(object)) return describe(e);
  for (auto result : object) {
    // Used in place: moving the field out copies its value iterator with one 16-byte load of
    // two narrower stores just made, which the CPU cannot forward (a stall per member).
    if (auto e = result.error()) return describe(e);
    if (const char* error = add_member(result.value_unsafe(), out)) return error;
  }
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) return kTrailing;
  return nullptr;
}

const char* JsonParser::add_member(od::field& member, FieldWriter& out) {
  // The key: a view of the original text unless it has escapes.
  const char* raw = member.key().raw();
  const char* stop = string_stop(raw, padded_.get() + size_);
  std::string_view key;
  if (stop < padded_.get() + size_ && *stop == '"') {
    key = original({raw, static_cast<size_t>(stop - raw)});
  } else {
    std::string_view unescaped;
    if (auto e = member.unescaped_key().get(unescaped)) return describe(e);
    key = out.copy(unescaped);
  }
  od::value& v = member.value();
  od::json_type type;
  if (auto e = v.type().get(type)) return describe(e);
  if (type == od::json_type::string) return add_string(key, v, out);
  if (type == od::json_type::object || type == od::json_type::array) {
    nested_.clear();
    if (const char* error = write_nested(v, 1)) return error;
    out.add(key, out.copy(nested_), FieldType::kRaw);
    return nullptr;
  }
  const std::string_view t = token(v);
  if (const char* error = check_literal(type, t)) return error;
  out.add(key, original(t), field_type(type));
  return nullptr;
}

const char* JsonParser::add_string(std::string_view key, od::value& v, FieldWriter& out) {
  // Consumed through simdjson even when the fast path below views the text: an unconsumed value
  // is skipped leniently, and {"a":"b":"c"}} would pass as valid.
  od::raw_json_string raw;
  if (auto e = v.get_raw_json_string().get(raw)) return describe(e);
  const char* body = raw.raw();  // after the opening quote
  const char* stop = string_stop(body, padded_.get() + size_);
  if (stop < padded_.get() + size_ && *stop == '"') {
    out.add(key, original({body, static_cast<size_t>(stop - body)}), FieldType::kString);
    return nullptr;
  }
  std::string_view unescaped;
  if (auto e = v.get_string().get(unescaped)) return describe(e);
  out.add(key, out.copy(unescaped), FieldType::kString);
  return nullptr;
}

// Appends `v` as minified JSON to nested_, validating all of it on the way.
// `depth` counts the containers `v` is in, plus one when `v` is a container.
const char* JsonParser::write_nested(od::value& v, int depth) {
  od::json_type type;
  if (auto e = v.type().get(type)) return describe(e);
  switch (type) {
    case od::json_type::object:
      return depth > kMaxDepth ? kTooDeep : write_object(v, depth);
    case od::json_type::array:
      return depth > kMaxDepth ? kTooDeep : write_array(v, depth);
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return describe(e);
      append_json_string(nested_, s);
      return nullptr;
    }
    default: {
      const std::string_view t = token(v);
      if (const char* error = check_literal(type, t)) return error;
      nested_.append(t);
      return nullptr;
    }
  }
}

const char* JsonParser::write_object(od::value& v, int depth) {
  od::object object;
  if (auto e = v.get_object().get(object)) return describe(e);
  nested_.push_back('{');
  bool first = true;
  for (auto result : object) {
    if (auto e = result.error()) return describe(e);
    od::field& member = result.value_unsafe();  // in place, as in parse()
    if (!first) nested_.push_back(',');
    first = false;
    std::string_view key;
    if (auto e = member.unescaped_key().get(key)) return describe(e);
    append_json_string(nested_, key);
    nested_.push_back(':');
    if (const char* error = write_nested(member.value(), depth + 1)) return error;
  }
  nested_.push_back('}');
  return nullptr;
}

const char* JsonParser::write_array(od::value& v, int depth) {
  od::array array;
  if (auto e = v.get_array().get(array)) return describe(e);
  nested_.push_back('[');
  bool first = true;
  for (auto result : array) {
    if (auto e = result.error()) return describe(e);
    if (!first) nested_.push_back(',');
    first = false;
    if (const char* error = write_nested(result.value_unsafe(), depth + 1)) return error;
  }
  nested_.push_back(']');
  return nullptr;
}

}  // namespace

std::unique_ptr<FieldParser> make_json_parser() { return std::make_unique<JsonParser>(); }

}  // namespace logagent::plugins::json
