// Parser stages: the batch loop, on_error handling, metrics and options shared by every parser.
//
// A parser (json, logfmt, regex, docker, ...) implements FieldParser: one text in, fields out,
// and may replace the event's message (FieldWriter::set_message). parse_batch() runs it over the
// live events of a batch, applies on_error and returns the counts; make_parser_stage() wraps that
// into a Stage counting logagent_parser_events_total{result=ok|error} once per batch. Stages that
// need a pass over the whole batch after parsing (cri and docker join partial lines:
// partial_parser_stage.h) use parse_batch() and ParserCounters themselves.
//
// When a stage adds fields to an event that already has some, the event's fields are first copied
// to the end of Batch::fields so that they stay contiguous; the old entries are left unused.
//
// Options: every parser's options struct derives from ParserOptions (field, on_error, target) and
// starts its schema with parser_schema<T>(), so the common keys are declared once.
//
// Threads: a FieldParser and the stage made from it serve one lane; a batch belongs to one thread
// at a time (see batch.h).
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/fields.h"
#include "agent/api/metrics.h"
#include "agent/api/options.h"

namespace logagent {

class Batch;
class Stage;

// Collects the fields of one event. Handed to FieldParser::parse.
class FieldWriter {
 public:
  FieldWriter(std::vector<Field>& fields, Arena& arena) : fields_(&fields), arena_(&arena) {}
  void add(std::string_view key, std::string_view value, FieldType type) {
    fields_->push_back(Field{key, value, type});
  }
  // A copy of `s` that lives as long as the batch.
  std::string_view copy(std::string_view s) { return arena_->copy(s); }
  Arena& arena() { return *arena_; }
  // On success, the event's message becomes `m` (which must live as long as the batch: a view
  // of the text or of the arena).
  void set_message(std::string_view m) { message_ = m; }

  // For the batch loop.
  std::optional<std::string_view> take_message() {
    auto m = message_;
    message_.reset();
    return m;
  }
  size_t event_index() const { return event_; }
  void set_event_index(size_t i) { event_ = i; }

 private:
  std::vector<Field>* fields_;
  Arena* arena_;
  std::optional<std::string_view> message_;
  size_t event_ = 0;
};

// One parser (json, logfmt, ...): turns a text into fields.
class FieldParser {
 public:
  virtual ~FieldParser() = default;
  // Adds the fields of `text` to `out`. Returns nullptr on success, else a short message in
  // static storage; the fields added so far (and any set_message) are then discarded by the
  // caller. `text` lives as long as the batch, so fields may view it.
  virtual const char* parse(std::string_view text, FieldWriter& out) = 0;
};

// What a stage does with an event it cannot parse: keep it (marked, with an `_error` field) or
// drop it. An option type (see options.h).
enum class OnError { kKeep, kDrop };
constexpr std::array<std::string_view, 2> option_names(OnError) { return {"keep", "drop"}; }

struct ParseSettings {
  // "message": the event's line; any other name: the last string field of that name (events
  // without it pass through untouched and are not counted).
  std::string field = "message";
  // kKeep: flag the event kEventParseError and give it an "_error" string field; kDrop: flag it
  // kEventDropped (it still counts as acknowledged).
  OnError on_error = OnError::kKeep;
  // Empty: the parsed fields are added at the event's top level. A name: they become one field of
  // that name holding them as a JSON object ({"k":"v",...}, a kRaw field), so they cannot collide
  // with the event's own keys or an earlier stage's; later stages see that one field.
  std::string target;
};

struct ParseCounts {
  uint64_t ok = 0;
  uint64_t error = 0;
};

// Runs `parser` over the live events of `batch`. `fields_per_event` is a reservation hint
// (updated with what this batch needed).
ParseCounts parse_batch(Batch& batch, const ParseSettings& settings, FieldParser& parser,
                        double& fields_per_event);

// What every parser stage counts, added to once per batch.
inline constexpr MetricDef kParserEvents{"logagent_parser_events_total", MetricKind::kCounter,
                                         "pipeline,stage,result",
                                         "Events a parser stage parsed (ok) or failed on (error)"};

// kParserEvents{result=ok|error}.
class ParserCounters {
 public:
  explicit ParserCounters(const MetricsScope& metrics);
  void add(const ParseCounts& c);

 private:
  Counter ok_;
  Counter error_;
};

// A Stage running `parser` with `settings`, counting in `metrics` (which should carry the stage
// label) once per batch.
std::unique_ptr<Stage> make_parser_stage(ParseSettings settings,
                                         std::unique_ptr<FieldParser> parser,
                                         const MetricsScope& metrics);

// The options every parser stage has.
struct ParserOptions {
  std::string field = "message";
  OnError on_error = OnError::kKeep;
  std::string target;
};

ParseSettings to_settings(const ParserOptions& o);
// The checks of the common options (an error message, or nullopt).
std::optional<std::string> check_parser_options(const ParserOptions& o);

// What the docs of the common keys say about one parser.
struct ParserDocs {
  std::string_view failure;  // "lines that are not a JSON object"
  std::string_view output;   // "the object's members"
};

// A schema with the common keys (field, on_error, target) and their rule; add the parser's own.
template <class T>
requires std::derived_from<T, ParserOptions> Schema<T> parser_schema(ParserDocs docs) {
  using S = std::string T::*;
  Schema<T> s;
  s.field("field", static_cast<S>(&ParserOptions::field),
          "What to parse: `message` (the line as read) or the name of a string field set by an "
          "earlier stage; events without that field pass through unparsed.")
      .field("on_error", static_cast<OnError T::*>(&ParserOptions::on_error),
             "For " + std::string(docs.failure) +
                 ": keep marks the event and adds an `_error` field with the reason; drop drops "
                 "it (it still counts as delivered).")
      .field("target", static_cast<S>(&ParserOptions::target),
             "Where " + std::string(docs.output) +
                 " go: empty puts them at the top level of the event; a name puts them in one "
                 "field of that name, a JSON object (`target: parsed` gives "
                 "`\"parsed\":{...}`), which later stages see as one field.")
      .rule([](const T& o) { return check_parser_options(o); });
  return s;
}

}  // namespace logagent
