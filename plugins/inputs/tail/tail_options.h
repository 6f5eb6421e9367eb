// TailOptions: the typed configuration of the `tail` input, declared once.
//
// Defaults live only in the member initialisers; schema() names every key with its
// documentation and the rules checked before any thread starts. After binding, the plugin sees
// only this struct. Plain value; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/api/options.h"
#include "plugins/inputs/tail/multiline_options.h"

namespace logagent::plugins::tail {

struct TailOptions {
  std::vector<std::string> paths;
  std::vector<std::string> exclude;
  std::string read_from = "head";
  std::string once_partial_line = "hold";  // --once: a last line without its newline
  Duration scan_interval{std::chrono::seconds(1)};
  Duration poll_interval{std::chrono::milliseconds(250)};
  ByteSize max_line_bytes{1024 * 1024};
  uint32_t max_open_files = 1024;
  Duration idle_close_after{std::chrono::seconds(30)};
  ByteSize deleted_max_pinned{1024ULL * 1024 * 1024};
  Duration deleted_max_age{std::chrono::minutes(5)};
  MultilineOptions multiline;

  static constexpr uint64_t kMinLineBytes = 1024;

  bool from_tail() const { return read_from == "tail"; }
  bool once_emits_partial() const { return once_partial_line == "emit"; }
  static const Schema<TailOptions>& schema();
};

// A duration option in nanoseconds (the steady-clock unit of the input's timers).
inline int64_t ns(const Duration& d) { return static_cast<int64_t>(d.value.count()) * 1000000; }

}  // namespace logagent::plugins::tail
