#include "plugins/inputs/tail/multiline_options.h"

#include <optional>
#include <string>

namespace logagent::plugins::tail {
namespace {

std::optional<std::string> check_limits(const MultilineOptions& o) {
  if (o.max_lines < 2) return "'max_lines' must be at least 2";
  if (o.max_bytes.bytes == 0) return "'max_bytes' must be positive";
  if (o.flush_after.value.count() <= 0) return "'flush_after' must be positive";
  return std::nullopt;
}

Schema<MultilineOptions> make_schema() {
  using O = MultilineOptions;
  Schema<O> s;
  s.field("mode", &O::mode,
          "A built-in rule set: java (frames, '... N more', 'Caused by:', and the exception "
          "line after a message), python (Traceback, frames, the exception line, chained "
          "exceptions), go (panic or fatal error, goroutines, frames).");
  s.field("start", &O::start, "RE2 pattern: a matching line begins a new event.");
  s.field("continue", &O::continue_pattern,
          "RE2 pattern: a matching line continues the current event.");
  s.field("max_lines", &O::max_lines, "Most lines in one event.");
  s.field("max_bytes", &O::max_bytes, "Largest event.");
  s.field("flush_after", &O::flush_after,
          "How long a file may stay idle before its last event is emitted.");
  s.rule(check_limits);
  return s;
}

}  // namespace

const Schema<MultilineOptions>& MultilineOptions::schema() {
  static const Schema<MultilineOptions> s = make_schema();
  return s;
}

Status MultilineOptions::compile() {
  auto r = MultilineRules::compile(mode ? option_name(*mode) : std::string_view(), start,
                                   continue_pattern);
  if (!r) return r.status();
  rules = std::move(r).value();
  return Status::ok();
}

bool read_value(const ConfigNode& node, MultilineOptions& out, Diagnostics& diag) {
  MultilineOptions o;
  if (node.is_scalar()) {  // `multiline: java`
    std::string name;
    if (!read_value(node, name, diag)) return false;
    const auto names = option_names(MultilineBuiltin{});
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) o.mode = static_cast<MultilineBuiltin>(i);
    }
    if (!o.mode) {
      diag.error(node, "mode '" + name + "' is not one of: " + std::string(multiline_mode_names()));
      return false;
    }
  } else if (!node.is_map()) {
    diag.error(node, "expected a map such as {mode: java} or {start: '^\\d{4}-'}");
    return false;
  } else if (!MultilineOptions::schema().bind(node, o, diag)) {
    return false;
  }
  if (!o.configured()) {
    diag.error(node, "set one of mode, start and continue");
    return false;
  }
  if (o.mode.has_value() + !o.start.empty() + !o.continue_pattern.empty() > 1) {
    diag.error(node, "set exactly one of mode, start and continue");
    return false;
  }
  if (Status st = o.compile(); !st) {
    // Reported at the offending value: the pattern, or the mode.
    const char* key = !o.start.empty() ? "start" : !o.continue_pattern.empty() ? "continue" : "";
    const ConfigNode at = node.is_map() && *key != '\0' ? node.child(key)
                          : node.is_map()               ? node.child("mode")
                                                        : node;
    diag.error(at, st.message());
    return false;
  }
  out = std::move(o);
  return true;
}

std::string format_value(const MultilineOptions& v) {
  if (!v.configured()) return "off";
  if (v.mode) return "{mode: " + std::string(option_name(*v.mode)) + "}";
  if (!v.start.empty()) return "{start: '" + v.start + "'}";
  return "{continue: '" + v.continue_pattern + "'}";
}

}  // namespace logagent::plugins::tail
