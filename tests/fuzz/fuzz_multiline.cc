// Fuzz target: multiline joining of the tail input (plugins/inputs/tail/multiline.h,
// join_text) with each built-in mode (java, python, go), a `start` and a `continue` pattern,
// under the default limits and under small ones.
//
// Checks: events are views of the text, in order, each covering whole lines; joined back with
// '\n' they are exactly the text (no byte lost, duplicated or reordered); offsets are where the
// views start; an event over max_lines lines or max_bytes bytes is a single line.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "plugins/inputs/tail/multiline.h"

namespace {

using namespace logagent;
namespace tail = logagent::plugins::tail;

std::shared_ptr<const tail::MultilineRules> rules(std::string_view mode, std::string_view start,
                                                  std::string_view cont) {
  auto r = tail::MultilineRules::compile(mode, start, cont);
  FUZZ_CHECK(r.is_ok(), r.is_ok() ? "" : r.message());
  return std::move(r.value());
}

void check(const std::shared_ptr<const tail::MultilineRules>& r, tail::MultilineLimits limits,
           std::string_view text, const char* what) {
  const auto events = tail::join_text(r, limits, text);
  std::string rebuilt;
  const char* next = text.data();
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    const std::string at = std::string(what) + ": event " + std::to_string(i);
    FUZZ_CHECK(e.message.data() == next, at + " does not follow the previous one");
    FUZZ_CHECK(e.offset == static_cast<uint64_t>(e.message.data() - text.data()), at + " offset");
    FUZZ_CHECK(e.message.data() + e.message.size() <= text.data() + text.size(),
               at + " past the text");
    const size_t lines =
        1 + static_cast<size_t>(std::count(e.message.begin(), e.message.end(), '\n'));
    if (lines > 1) {
      FUZZ_CHECK(lines <= limits.max_lines, at + " over max_lines");
      FUZZ_CHECK(e.message.size() <= limits.max_bytes, at + " over max_bytes");
    }
    if (!rebuilt.empty() || i > 0) rebuilt.push_back('\n');
    rebuilt.append(e.message);
    next = e.message.data() + e.message.size() + 1;  // after its '\n'
  }
  if (!text.empty() && text.back() == '\n') rebuilt.push_back('\n');
  FUZZ_CHECK(rebuilt == text, std::string(what) + ": the events are not the text");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto java = rules("java", "", "");
  static const auto python = rules("python", "", "");
  static const auto go = rules("go", "", "");
  static const auto start = rules("", R"(^\d{4}-\d\d-\d\d[ T])", "");
  static const auto cont = rules("", "", R"(^[ \t]|^Caused by:)");
  // A private copy exactly as large as the input: reading past it is an ASan error.
  const auto copy = std::make_unique<char[]>(size == 0 ? 1 : size);
  if (size > 0) std::memcpy(copy.get(), data, size);
  const std::string_view text(copy.get(), size);
  const tail::MultilineLimits small{.max_lines = 4, .max_bytes = 200};
  for (const auto limits : {tail::MultilineLimits{}, small}) {
    check(java, limits, text, "java");
    check(python, limits, text, "python");
    check(go, limits, text, "go");
    check(start, limits, text, "start");
    check(cont, limits, text, "continue");
  }
  return 0;
}
