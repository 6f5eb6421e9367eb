// TailOptions: the typed configuration of the `tail` input, declared once.
//
// Defaults live only in the member initialisers; schema() names every key with its
// documentation and the rules checked before any thread starts. After binding, the plugin sees
// only this struct. Plain value; any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/options.h"
#include "plugins/inputs/tail/kubernetes_options.h"
#include "plugins/inputs/tail/multiline_options.h"

namespace logagent::plugins::tail {

// Where a file found at start-up without a checkpoint starts.
enum class ReadFrom { kHead, kTail };
constexpr std::array<std::string_view, 2> option_names(ReadFrom) { return {"head", "tail"}; }
// run --once: what becomes of a file's last line without its newline.
enum class PartialLine { kHold, kEmit };
constexpr std::array<std::string_view, 2> option_names(PartialLine) { return {"hold", "emit"}; }

struct TailOptions {
  std::vector<std::string> paths;
  std::vector<std::string> exclude;
  ReadFrom read_from = ReadFrom::kHead;
  PartialLine once_partial_line = PartialLine::kHold;
  Duration scan_interval{std::chrono::seconds(1)};
  Duration poll_interval{std::chrono::milliseconds(250)};
  ByteSize max_line_bytes{1024 * 1024};
  uint32_t max_open_files = 1024;
  Duration idle_close_after{std::chrono::seconds(30)};
  ByteSize deleted_max_pinned{1024ULL * 1024 * 1024};
  Duration deleted_max_age{std::chrono::minutes(5)};
  MultilineOptions multiline;
  KubernetesOptions kubernetes;

  static constexpr uint64_t kMinLineBytes = 1024;

  bool from_tail() const { return read_from == ReadFrom::kTail; }
  bool once_emits_partial() const { return once_partial_line == PartialLine::kEmit; }
  static const Schema<TailOptions>& schema();
};

// A duration option in nanoseconds (the steady-clock unit of the input's timers).
inline int64_t ns(const Duration& d) { return static_cast<int64_t>(d.value.count()) * 1000000; }

}  // namespace logagent::plugins::tail
