#include "plugins/common/parser_stage.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/plugin.h"
#include "agent/codec/event_encoder.h"
#include "plugins/common/field_edit.h"

namespace logagent {
namespace {

constexpr std::string_view kErrorKey = "_error";
constexpr double kMaxFieldsHint = 64;

// The text to parse for event `i`; false when its source field is absent or not a string.
bool source_text(const Batch& batch, size_t i, const std::string& field, std::string_view& out) {
  if (field == "message") {
    out = batch.events[i].message;
    return true;
  }
  const size_t k = find_field(batch, i, field);
  if (k == kNoField || batch.fields[k].type != FieldType::kString) return false;
  out = batch.fields[k].value;
  return true;
}

// Which of fields [mark, end) are written into the nested object: each key once, the last
// value of a repeated key winning (keys compared as the json output writes them). A few fields are
// compared pairwise; many (a hostile line can hold 100,000 keys) go through a hash set, so the
// cost stays linear. Reuses `written` and `seen` across calls.
void written_fields(const std::vector<Field>& fields, size_t mark, std::vector<char>& written,
                    std::unordered_set<std::string>& seen) {
  constexpr size_t kPairwise = 32;
  const size_t n = fields.size() - mark;
  written.assign(n, 1);
  if (n <= kPairwise) {
    for (size_t k = 0; k < n; ++k) {
      for (size_t j = k + 1; j < n && written[k] != 0; ++j) {
        if (same_json_text(fields[mark + j].key, fields[mark + k].key)) written[k] = 0;
      }
    }
    return;
  }
  seen.clear();
  std::string key;
  for (size_t k = n; k-- > 0;) {  // from the last: a key seen already is written later
    key.clear();
    append_json_string(key, fields[mark + k].key);
    if (!seen.insert(key).second) written[k] = 0;
  }
}

// Replaces fields [mark, end) of `batch` with one kRaw field `key` holding them as a JSON object
// (one member per key: the last value of a repeated key wins, as in the json output).
void nest(Batch& batch, size_t mark, std::string_view key, std::string& scratch) {
  thread_local std::vector<char> written;
  thread_local std::unordered_set<std::string> seen;
  written_fields(batch.fields, mark, written, seen);
  scratch.assign(1, '{');
  for (size_t k = mark; k < batch.fields.size(); ++k) {
    const Field& f = batch.fields[k];
    if (written[k - mark] == 0) continue;
    if (scratch.size() > 1) scratch += ',';
    append_json_string(scratch, f.key);
    scratch += ':';
    if (f.type == FieldType::kString) {
      append_json_string(scratch, f.value);
    } else {
      scratch.append(f.value);
    }
  }
  scratch += '}';
  batch.fields.resize(mark);
  batch.fields.push_back(Field{key, batch.arena.copy(scratch), FieldType::kRaw});
}

}  // namespace

ParseCounts parse_batch(Batch& batch, const ParseSettings& settings, FieldParser& parser,
                        double& fields_per_event) {
  ParseCounts counts;
  const size_t n = batch.events.size();
  if (n == 0) return counts;
  if (batch.spans.empty()) batch.spans.assign(n, FieldSpan{});
  const size_t first_field = batch.fields.size();
  batch.fields.reserve(first_field +
                       static_cast<size_t>(static_cast<double>(n) * (fields_per_event + 1.0)));
  FieldWriter writer(batch.fields, batch.arena);
  // The target's name, in the batch's arena: the batch may outlive this stage.
  const std::string_view target =
      settings.target.empty() ? std::string_view() : batch.arena.copy(settings.target);
  std::string scratch;
  for (size_t i = 0; i < n; ++i) {
    Event& e = batch.events[i];
    if (e.flags & kEventDropped) continue;
    std::string_view text;
    if (!source_text(batch, i, settings.field, text)) continue;
    // The event's fields become the tail of batch.fields, so the parsed ones can be appended.
    FieldSpan& span = span_at_end(batch, i);
    const uint32_t begin = span.begin;
    const size_t mark = batch.fields.size();
    writer.set_event_index(i);
    const char* error = parser.parse(text, writer);
    const auto message = writer.take_message();
    if (error == nullptr) {
      if (!target.empty()) nest(batch, mark, target, scratch);
      span = {begin, static_cast<uint32_t>(batch.fields.size() - begin)};
      if (message) e.message = *message;
      ++counts.ok;
      continue;
    }
    ++counts.error;
    batch.fields.resize(mark);
    if (settings.on_error == OnError::kDrop) {
      e.flags |= kEventDropped;
      continue;
    }
    e.flags |= kEventParseError;
    writer.add(kErrorKey, error, FieldType::kString);
    span = {begin, static_cast<uint32_t>(batch.fields.size() - begin)};
  }
  if (counts.ok + counts.error > 0) {
    // Capped: one batch of huge events must not make every later batch reserve gigabytes.
    const auto added = static_cast<double>(batch.fields.size() - first_field);
    fields_per_event =
        std::min(kMaxFieldsHint, added / static_cast<double>(counts.ok + counts.error));
  }
  return counts;
}

ParserCounters::ParserCounters(const MetricsScope& metrics)
    : ok_(metrics.counter(kParserEvents, {{"result", "ok"}})),
      error_(metrics.counter(kParserEvents, {{"result", "error"}})) {}

void ParserCounters::add(const ParseCounts& c) {
  if (c.ok > 0) ok_.add(static_cast<double>(c.ok));
  if (c.error > 0) error_.add(static_cast<double>(c.error));
}

namespace {

class ParserStage final : public Stage {
 public:
  ParserStage(ParseSettings settings, std::unique_ptr<FieldParser> parser,
              const MetricsScope& metrics)
      : settings_(std::move(settings)), parser_(std::move(parser)), counters_(metrics) {}

  void process(Batch& batch) override {
    counters_.add(parse_batch(batch, settings_, *parser_, fields_per_event_));
  }

 private:
  const ParseSettings settings_;
  std::unique_ptr<FieldParser> parser_;
  ParserCounters counters_;
  double fields_per_event_ = 8;
};

}  // namespace

std::unique_ptr<Stage> make_parser_stage(ParseSettings settings,
                                         std::unique_ptr<FieldParser> parser,
                                         const MetricsScope& metrics) {
  return std::make_unique<ParserStage>(std::move(settings), std::move(parser), metrics);
}

ParseSettings to_settings(const ParserOptions& o) {
  ParseSettings s;
  s.field = o.field;
  s.on_error = o.on_error;
  s.target = o.target;
  return s;
}

std::optional<std::string> check_parser_options(const ParserOptions& o) {
  if (o.field.empty()) return "field must not be empty";
  if (o.target == "message" || o.target == "_error") {
    return "target '" + o.target + "' is taken (the line, a parse error); choose another name";
  }
  return std::nullopt;
}

}  // namespace logagent
