// Multiline joining: which lines belong together, and the per-file state machine that joins them.
//
// MultilineRules is the compiled form of a `multiline:` block: a `start` pattern (a matching
// line begins a new event, the others continue the current one), a `continue` pattern (a
// matching line continues the current event), or a built-in mode for Java, Python or Go stack
// traces. Patterns are RE2 (linear time on any input). Rules are immutable once compiled and
// may be shared by any thread.
//
// MultilineJoiner is fed the lines of one file in order (Events from frame_lines, each a view
// that follows the previous line and its '\n' in the same buffer) and appends joined events to
// an output vector: the contiguous bytes from the first line's start to the last line's end,
// inner '\n' kept -- a view, never a copy. The group being built is held until a line that
// does not continue it arrives, or until flush(). pending_offset() is where the held lines
// start in the file: the tail input does not let a batch cover them, so a crash re-reads them.
// A group that reaches max_lines or max_bytes is emitted flagged kEventTruncated and the next
// line starts a new event (nothing is dropped). A single line is never split (max_line_bytes
// applies to lines); lines already cut by max_line_bytes are never joined. Built-in modes may
// hold lines tentatively (a blank line after a Python exception may precede "During handling
// of the above exception"); tentative lines that are not confirmed become events of their own.
//
// join_text() frames and joins a whole text (what --once emits for a file holding it): the
// entry point for tests and fuzzing.
//
// Threads: a joiner belongs to one thread (the tail input's); rules are shared read-only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/status.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace logagent::plugins::tail {

enum class MultilineMode : uint8_t { kStart, kContinue, kJava, kPython, kGo };

// How a line relates to the group being built.
enum class LineVerdict : uint8_t { kStart, kContinue, kMaybe };

class MultilineRules {
 public:
  // Exactly one of `mode` (java|python|go), `start` and `continue_pattern` is non-empty.
  static Result<std::shared_ptr<const MultilineRules>> compile(std::string_view mode,
                                                               std::string_view start,
                                                               std::string_view continue_pattern);
  ~MultilineRules();
  MultilineRules(const MultilineRules&) = delete;
  MultilineRules& operator=(const MultilineRules&) = delete;

  MultilineMode mode() const { return mode_; }
  // The state of a group whose first line is `line`.
  uint8_t first(std::string_view line) const;
  // Whether `line` continues a group in `state` (updated when it does, or may).
  LineVerdict next(std::string_view line, uint8_t& state) const;

 private:
  explicit MultilineRules(MultilineMode mode);
  bool matches(const re2::RE2& re, std::string_view line) const;
  LineVerdict java(std::string_view line, uint8_t& state) const;
  LineVerdict python(std::string_view line, uint8_t& state) const;
  LineVerdict go(std::string_view line, uint8_t& state) const;

  MultilineMode mode_;
  std::unique_ptr<re2::RE2> pattern_;  // start or continue
  // Line classes of the built-in modes (empty for the pattern modes).
  std::unique_ptr<re2::RE2> frame_;
  std::unique_ptr<re2::RE2> cause_;
  std::unique_ptr<re2::RE2> header_;
};

// A pattern compiled as the tail input does ("missing ): ... (at offset 3)" on error).
Result<std::unique_ptr<re2::RE2>> compile_multiline_pattern(std::string_view pattern);
// The names of the built-in modes: "java, python, go".
std::string_view multiline_mode_names();

// Why a group was emitted before a line that does not continue it arrived.
enum class FlushReason : uint8_t { kMaxLines, kMaxBytes, kFlushAfter, kEof };
inline constexpr size_t kFlushReasons = 4;
std::string_view flush_reason_name(FlushReason reason);

struct MultilineCounts {
  uint64_t joined = 0;  // events made of more than one line
  std::array<uint64_t, kFlushReasons> flushes{};
};

struct MultilineLimits {
  uint32_t max_lines = 500;
  uint64_t max_bytes = 1024 * 1024;
};

class MultilineJoiner {
 public:
  MultilineJoiner(std::shared_ptr<const MultilineRules> rules, MultilineLimits limits)
      : rules_(std::move(rules)), limits_(limits) {}

  // Feeds the next line; appends to `out` the events that became complete.
  void push(const Event& line, std::vector<Event>& out);
  // Emits the held group (and tentative lines) now. kMaxLines/kMaxBytes flag it truncated.
  void flush(FlushReason why, std::vector<Event>& out);
  // Forgets the held group and the counts (the caller will feed the same bytes again).
  void reset();

  bool pending() const { return open_; }
  // File offset of the first held byte (valid while pending()).
  uint64_t pending_offset() const { return start_offset_; }
  const MultilineCounts& counts() const { return counts_; }
  const MultilineLimits& limits() const { return limits_; }

 private:
  void begin(const Event& line);
  void end_group(std::vector<Event>& out, uint32_t extra_flags);
  bool contiguous(const Event& line) const;

  std::shared_ptr<const MultilineRules> rules_;
  MultilineLimits limits_;
  MultilineCounts counts_;
  bool open_ = false;
  uint8_t state_ = 0;
  const char* start_ = nullptr;  // first byte of the group
  const char* end_ = nullptr;    // end of its last confirmed line
  const char* last_ = nullptr;   // end of the last line fed (confirmed or tentative)
  uint64_t start_offset_ = 0;
  uint64_t last_offset_ = 0;  // file offset of last_
  uint32_t lines_ = 0;        // confirmed lines
  uint32_t flags_ = 0;
  std::vector<Event> maybe_;  // tentative lines after end_
};

// Frames `text` into lines (none cut) and joins them, flushing at the end as --once does at
// EOF; a final line without '\n' is included. Views point into `text`.
std::vector<Event> join_text(std::shared_ptr<const MultilineRules> rules, MultilineLimits limits,
                             std::string_view text, MultilineCounts* counts = nullptr);

}  // namespace logagent::plugins::tail
