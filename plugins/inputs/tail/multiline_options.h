// MultilineOptions: the `multiline:` block of the tail input, bound and compiled at once.
//
//   multiline: {mode: java}                       # or python, go; `multiline: java` for short
//   multiline: {start: '^\d{4}-\d\d-\d\d ', max_lines: 500, max_bytes: 1MiB, flush_after: 1s}
//   multiline: {continue: '^\s'}
//
// Exactly one of mode, start and continue. The patterns are compiled while the configuration
// is bound, so a bad one is a configuration error at its own FILE:LINE:COL; `rules` then holds
// the compiled form (shared, immutable). Left out, nothing is joined. read_value() and
// format_value() are found by argument-dependent lookup from Schema<TailOptions>::field.
//
// Threads: plain values; bound on one thread, read-only afterwards.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/api/options.h"
#include "agent/api/status.h"
#include "plugins/inputs/tail/multiline.h"

namespace logagent::plugins::tail {

// The built-in rule sets of `mode`.
enum class MultilineBuiltin { kJava, kPython, kGo };
constexpr std::array<std::string_view, 3> option_names(MultilineBuiltin) {
  return {"java", "python", "go"};
}

struct MultilineOptions {
  static constexpr std::string_view kTypeName = "map";

  std::optional<MultilineBuiltin> mode;
  std::string start;
  std::string continue_pattern;  // key "continue"
  uint32_t max_lines = 500;
  ByteSize max_bytes{1024 * 1024};
  Duration flush_after{std::chrono::seconds(1)};
  std::shared_ptr<const MultilineRules> rules;  // set by compile()

  bool configured() const {
    return mode.has_value() || !start.empty() || !continue_pattern.empty();
  }
  bool enabled() const { return rules != nullptr; }
  MultilineLimits limits() const { return {max_lines, max_bytes.bytes}; }
  // Compiles the rules from mode/start/continue (checks exactly one is set).
  Status compile();

  static const Schema<MultilineOptions>& schema();
};

bool read_value(const ConfigNode& node, MultilineOptions& out, Diagnostics& diag);
std::string format_value(const MultilineOptions& v);

}  // namespace logagent::plugins::tail
