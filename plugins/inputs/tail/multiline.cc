#include "plugins/inputs/tail/multiline.h"

#include <re2/re2.h>

#include <cctype>
#include <limits>
#include <string>
#include <utility>

#include "plugins/inputs/tail/line_framer.h"

namespace logagent::plugins::tail {
namespace {

// Group states of the built-in modes.
enum JavaState : uint8_t { kJavaHead, kJavaTrace };
enum PythonState : uint8_t { kPyHead, kPyFrames, kPyDone, kPyChain };
enum GoState : uint8_t { kGoHead, kGoPanic };

// Java: stack frames, "... 12 more", "Caused by:", and the exception line that follows a
// message ("java.lang.IllegalStateException: boom").
constexpr std::string_view kJavaFrame =
    R"(^\s+(?:at\s|\.\.\.\s*\d+\s+(?:more|common frames omitted)|--- End of ))";
constexpr std::string_view kJavaCause = R"(^\s*(?:Caused by|Suppressed|Wrapped by):)";
constexpr std::string_view kJavaHeader =
    R"(^(?:[a-zA-Z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::.*)?\r?$)";
// An uncaught exception printed by the JVM begins a trace of its own.
constexpr std::string_view kJavaUncaught = "Exception in thread ";
// Go: the first line of a panic or of a goroutine dump, then what follows it.
constexpr std::string_view kGoHeader = R"(^(?:panic: |fatal error: |goroutine \d+ .*\]:\r?$))";
constexpr std::string_view kGoFrame =
    R"(^(?:\s|goroutine \d+ |created by |\[signal |runtime stack:|exit status \d+\r?$|\.\.\.additional frames elided\.\.\.))";
constexpr std::string_view kGoCall = R"(^[\w\-./%~*()\[\]{}]+\(.*\)\r?$)";

constexpr std::string_view kTraceback = "Traceback (most recent call last):";
constexpr std::string_view kPyDuring =
    "During handling of the above exception, another exception occurred:";
constexpr std::string_view kPyCause =
    "The above exception was the direct cause of the following exception:";

std::string_view chomp(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

bool indented(std::string_view line) {
  return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

std::unique_ptr<re2::RE2> builtin(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_encoding(RE2::Options::EncodingLatin1);  // ASCII patterns; any byte matches
  return std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
}

}  // namespace

Result<std::unique_ptr<re2::RE2>> compile_multiline_pattern(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    std::string message = re->error();
    const size_t at = pattern.find(re->error_arg());
    if (!re->error_arg().empty() && at != std::string_view::npos) {
      message += " (at offset " + std::to_string(at) + ")";
    }
    return Status::error(std::move(message));
  }
  return re;
}

std::string_view multiline_mode_names() { return "java, python, go"; }

std::string_view flush_reason_name(FlushReason reason) {
  switch (reason) {
    case FlushReason::kMaxLines:
      return "max_lines";
    case FlushReason::kMaxBytes:
      return "max_bytes";
    case FlushReason::kFlushAfter:
      return "flush_after";
    case FlushReason::kEof:
      return "eof";
  }
  return "unknown";
}

// --- rules ------------------------------------------------------------------------------------

MultilineRules::MultilineRules(MultilineMode mode) : mode_(mode) {}
MultilineRules::~MultilineRules() = default;

Result<std::shared_ptr<const MultilineRules>> MultilineRules::compile(
    std::string_view mode, std::string_view start, std::string_view continue_pattern) {
  const int set = !mode.empty() + !start.empty() + !continue_pattern.empty();
  if (set != 1) return Status::error("set exactly one of mode, start and continue");
  std::shared_ptr<MultilineRules> r;
  if (!mode.empty()) {
    if (mode == "java") {
      r.reset(new MultilineRules(MultilineMode::kJava));
      r->frame_ = builtin(kJavaFrame);
      r->cause_ = builtin(kJavaCause);
      r->header_ = builtin(kJavaHeader);
    } else if (mode == "python") {
      r.reset(new MultilineRules(MultilineMode::kPython));
    } else if (mode == "go") {
      r.reset(new MultilineRules(MultilineMode::kGo));
      r->frame_ = builtin(kGoFrame);
      r->cause_ = builtin(kGoCall);
      r->header_ = builtin(kGoHeader);
    } else {
      return Status::error("mode '" + std::string(mode) +
                           "' is not one of: " + std::string(multiline_mode_names()));
    }
    return std::shared_ptr<const MultilineRules>(std::move(r));
  }
  const bool is_start = !start.empty();
  auto re = compile_multiline_pattern(is_start ? start : continue_pattern);
  if (!re) {
    return Status::error(std::string(is_start ? "invalid start" : "invalid continue") +
                         " pattern: " + re.message());
  }
  r.reset(new MultilineRules(is_start ? MultilineMode::kStart : MultilineMode::kContinue));
  r->pattern_ = std::move(re).value();
  return std::shared_ptr<const MultilineRules>(std::move(r));
}

bool MultilineRules::matches(const re2::RE2& re, std::string_view line) const {
  return RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), re);
}

uint8_t MultilineRules::first(std::string_view line) const {
  switch (mode_) {
    case MultilineMode::kJava:
      return line.starts_with(kJavaUncaught) || matches(*header_, line) ? kJavaTrace : kJavaHead;
    case MultilineMode::kPython:
      return chomp(line) == kTraceback ? kPyFrames : kPyHead;
    case MultilineMode::kGo:
      return matches(*header_, line) ? kGoPanic : kGoHead;
    default:
      return 0;
  }
}

LineVerdict MultilineRules::next(std::string_view line, uint8_t& state) const {
  switch (mode_) {
    case MultilineMode::kStart:
      return matches(*pattern_, line) ? LineVerdict::kStart : LineVerdict::kContinue;
    case MultilineMode::kContinue:
      return matches(*pattern_, line) ? LineVerdict::kContinue : LineVerdict::kStart;
    case MultilineMode::kJava:
      return java(line, state);
    case MultilineMode::kPython:
      return python(line, state);
    case MultilineMode::kGo:
      return go(line, state);
  }
  return LineVerdict::kStart;
}

// Frames and causes continue any group; an exception line continues a message that has no
// trace yet (logger.error("msg", e) writes the message, then the exception and its frames).
// The first-character checks only skip patterns that cannot match (most lines are frames).
LineVerdict MultilineRules::java(std::string_view line, uint8_t& state) const {
  const char c = line.empty() ? '\0' : line[0];
  const bool space = c == ' ' || c == '\t' || c == '\f' || c == '\r';  // RE2's \s
  bool frame = false;
  if (space) {
    const size_t text = line.find_first_not_of(" \t\f\r");
    frame = (text != std::string_view::npos && line.substr(text).starts_with("at ")) ||
            matches(*frame_, line);
  }
  if (frame || ((space || c == 'C' || c == 'S' || c == 'W') && matches(*cause_, line))) {
    state = kJavaTrace;
    return LineVerdict::kContinue;
  }
  const bool identifier = std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
  if (state == kJavaHead && identifier && matches(*header_, line)) {
    state = kJavaTrace;
    return LineVerdict::kContinue;
  }
  return LineVerdict::kStart;
}

// "Traceback (most recent call last):" continues a message (logger.exception) or a chain;
// indented lines are frames; the first unindented line after them is the exception; blank
// lines after it are held until "During handling of the above exception..." or "The above
// exception was the direct cause..." confirms them.
LineVerdict MultilineRules::python(std::string_view line, uint8_t& state) const {
  const std::string_view text = chomp(line);
  switch (state) {
    case kPyHead:
    case kPyChain:
      if (text == kTraceback) {
        state = kPyFrames;
        return LineVerdict::kContinue;
      }
      if (state == kPyChain && blank(text)) return LineVerdict::kContinue;
      return LineVerdict::kStart;
    case kPyFrames:
      if (blank(text)) return LineVerdict::kStart;
      if (!indented(text)) state = kPyDone;  // the exception line
      return LineVerdict::kContinue;
    default:  // kPyDone
      if (blank(text)) return LineVerdict::kMaybe;
      if (text == kPyDuring || text == kPyCause) {
        state = kPyChain;
        return LineVerdict::kContinue;
      }
      return LineVerdict::kStart;
  }
}

// A panic (or a goroutine dump) continues through goroutine headers, calls, indented file
// lines and "created by"; blank lines between goroutines are held until the next one.
LineVerdict MultilineRules::go(std::string_view line, uint8_t& state) const {
  if (state != kGoPanic) return LineVerdict::kStart;
  if (blank(line)) return LineVerdict::kMaybe;
  if (matches(*frame_, line) || matches(*cause_, line)) return LineVerdict::kContinue;
  return LineVerdict::kStart;
}

// --- joiner -----------------------------------------------------------------------------------

bool MultilineJoiner::contiguous(const Event& line) const {
  return line.message.data() == last_ + 1 && line.offset == last_offset_ + 1;
}

void MultilineJoiner::begin(const Event& line) {
  open_ = true;
  start_ = line.message.data();
  end_ = last_ = start_ + line.message.size();
  start_offset_ = line.offset;
  last_offset_ = line.offset + line.message.size();
  lines_ = 1;
  flags_ = line.flags;
  state_ = rules_->first(line.message);
  maybe_.clear();
}

void MultilineJoiner::end_group(std::vector<Event>& out, uint32_t extra_flags) {
  if (!open_) return;
  out.push_back(Event{std::string_view(start_, static_cast<size_t>(end_ - start_)), start_offset_,
                      flags_ | extra_flags, 0});
  if (lines_ > 1) ++counts_.joined;
  for (const Event& m : maybe_) out.push_back(m);
  maybe_.clear();
  open_ = false;
}

void MultilineJoiner::push(const Event& line, std::vector<Event>& out) {
  if ((line.flags & kEventTruncated) != 0) {  // cut by max_line_bytes: never joined
    end_group(out, 0);
    out.push_back(line);
    return;
  }
  if (!open_ || !contiguous(line)) {
    end_group(out, 0);
    begin(line);
    return;
  }
  const LineVerdict v = rules_->next(line.message, state_);
  if (v == LineVerdict::kStart) {
    end_group(out, 0);
    begin(line);
    return;
  }
  const char* line_end = line.message.data() + line.message.size();
  const bool too_many = lines_ + maybe_.size() + 1 > limits_.max_lines;
  if (too_many || static_cast<uint64_t>(line_end - start_) > limits_.max_bytes) {
    ++counts_
          .flushes[static_cast<size_t>(too_many ? FlushReason::kMaxLines : FlushReason::kMaxBytes)];
    end_group(out, kEventTruncated);
    begin(line);  // the rest continues as a new event
    return;
  }
  last_ = line_end;
  last_offset_ = line.offset + line.message.size();
  if (v == LineVerdict::kMaybe) {
    maybe_.push_back(line);
    return;
  }
  lines_ += static_cast<uint32_t>(maybe_.size()) + 1;
  for (const Event& m : maybe_) flags_ |= m.flags;
  maybe_.clear();
  flags_ |= line.flags;
  end_ = line_end;
}

void MultilineJoiner::flush(FlushReason why, std::vector<Event>& out) {
  if (!open_) return;
  ++counts_.flushes[static_cast<size_t>(why)];
  const bool cut = why == FlushReason::kMaxLines || why == FlushReason::kMaxBytes;
  end_group(out, cut ? static_cast<uint32_t>(kEventTruncated) : 0u);
}

void MultilineJoiner::reset() {
  open_ = false;
  maybe_.clear();
  counts_ = MultilineCounts{};
}

std::vector<Event> join_text(std::shared_ptr<const MultilineRules> rules, MultilineLimits limits,
                             std::string_view text, MultilineCounts* counts) {
  std::vector<Event> lines;
  const FrameResult fr =
      frame_lines(text.data(), text.size(), 0, std::numeric_limits<size_t>::max(), lines);
  if (fr.consumed < text.size()) {
    lines.push_back(Event{text.substr(fr.consumed), fr.consumed, kEventNoNewline, 0});
  }
  MultilineJoiner joiner(std::move(rules), limits);
  std::vector<Event> out;
  for (const Event& line : lines) joiner.push(line, out);
  joiner.flush(FlushReason::kEof, out);
  if (counts != nullptr) *counts = joiner.counts();
  return out;
}

}  // namespace logagent::plugins::tail
