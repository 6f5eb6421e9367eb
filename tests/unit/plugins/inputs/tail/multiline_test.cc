#include "plugins/inputs/tail/multiline.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace logagent::plugins::tail {
namespace {

std::shared_ptr<const MultilineRules> rules(std::string_view mode, std::string_view start = "",
                                            std::string_view cont = "") {
  auto r = MultilineRules::compile(mode, start, cont);
  REQUIRE_MESSAGE(r.is_ok(), (r.is_ok() ? "" : r.message()));
  return r.value();
}

std::vector<std::string> texts(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.emplace_back(e.message);
  return out;
}

// Every event is the text's own bytes at its offset, the events follow one another with one
// '\n' between them, and together they are the whole text: nothing lost, nothing copied.
void check_covers(std::string_view text, const std::vector<Event>& events) {
  uint64_t next = 0;
  for (const Event& e : events) {
    REQUIRE(e.offset == next);
    CHECK(e.message.data() == text.data() + e.offset);
    next = e.offset + e.message.size() + 1;
  }
  CHECK(next >= text.size());
  CHECK(next <= text.size() + 1);
}

constexpr std::string_view kJava =
    "2024-05-01 12:00:00.123 INFO  [main] c.e.App - Starting\n"
    "2024-05-01 12:00:01.456 ERROR [http-nio-8080-exec-1] c.e.Controller - Request failed\n"
    "java.lang.IllegalStateException: Could not process order 42\n"
    "\tat com.example.OrderService.process(OrderService.java:87)\n"
    "\tat com.example.Controller.handle(Controller.java:31)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:833)\n"
    "Caused by: java.sql.SQLException: Connection refused\n"
    "\tat org.postgresql.Driver.connect(Driver.java:285)\n"
    "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:162)\n"
    "\t... 12 more\n"
    "Caused by: java.net.ConnectException: Connection refused (Connection refused)\n"
    "\tat java.base/sun.nio.ch.Net.connect0(Native Method)\n"
    "\t... 25 common frames omitted\n"
    "2024-05-01 12:00:02.000 INFO  [main] c.e.App - Recovered\n"
    "Exception in thread \"main\" java.lang.NullPointerException: Cannot invoke "
    "\"String.length()\" because \"s\" is null\n"
    "\tat com.example.App.main(App.java:10)\n"
    "java.io.UncheckedIOException: printed by printStackTrace after a trace\n"
    "\tat com.example.App.save(App.java:20)\n";

constexpr std::string_view kPython =
    "2024-05-01 12:00:00,001 INFO app: starting\n"
    "2024-05-01 12:00:01,002 ERROR app: request failed\n"
    "Traceback (most recent call last):\n"
    "  File \"/srv/app/handlers.py\", line 41, in handle\n"
    "    order = load(order_id)\n"
    "            ^^^^^^^^^^^^^^\n"
    "  File \"/srv/app/store.py\", line 12, in load\n"
    "    return db[order_id]\n"
    "KeyError: 42\n"
    "\n"
    "During handling of the above exception, another exception occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/srv/app/handlers.py\", line 43, in handle\n"
    "    raise NotFound(order_id)\n"
    "app.errors.NotFound: order 42\n"
    "2024-05-01 12:00:02,003 INFO app: next request\n"
    "Traceback (most recent call last):\n"
    "  File \"/srv/app/jobs.py\", line 7, in <module>\n"
    "    1 / 0\n"
    "ZeroDivisionError: division by zero\n"
    "\n"
    "2024-05-01 12:00:03,004 INFO app: after a blank line\n";

constexpr std::string_view kGo =
    "2024/05/01 12:00:00 server listening on :8080\n"
    "panic: runtime error: invalid memory address or nil pointer dereference\n"
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6a1b2c]\n"
    "\n"
    "goroutine 42 [running]:\n"
    "main.(*Server).handle(0x0, {0x7f1e2c, 0xc0001a2000}, 0xc0001b4000)\n"
    "\t/src/server.go:57 +0x2c\n"
    "net/http.HandlerFunc.ServeHTTP(0xc000012345?, {0x7f1e2c?, 0xc0001a2000?}, 0x0?)\n"
    "\t/usr/local/go/src/net/http/server.go:2136 +0x29\n"
    "created by net/http.(*Server).Serve in goroutine 1\n"
    "\t/usr/local/go/src/net/http/server.go:3086 +0x4cc\n"
    "\n"
    "goroutine 1 [IO wait]:\n"
    "internal/poll.runtime_pollWait(0x7f3c, 0x72)\n"
    "\t/usr/local/go/src/runtime/netpoll.go:343 +0x85\n"
    "exit status 2\n"
    "2024/05/01 12:00:05 restarted\n"
    "fatal error: all goroutines are asleep - deadlock!\n"
    "\n"
    "goroutine 1 [chan receive]:\n"
    "main.main()\n"
    "\t/tmp/x.go:5 +0x2d\n"
    "\n"
    "2024/05/01 12:00:06 after a blank line\n";

// The lines [from, to] of `text` (1-based), joined by '\n'.
std::string lines_of(std::string_view text, int from, int to) {
  std::string out;
  int n = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    if (n >= from && n <= to) {
      if (n > from) out += '\n';
      out += text.substr(pos, nl - pos);
    }
    ++n;
    pos = nl + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("java: a message, its exception, frames, 'Caused by:' and '... 12 more' are one event") {
  MultilineCounts counts;
  const auto events = join_text(rules("java"), {}, kJava, &counts);
  check_covers(kJava, events);
  CHECK(texts(events) == std::vector<std::string>{lines_of(kJava, 1, 1), lines_of(kJava, 2, 13),
                                                  lines_of(kJava, 14, 14), lines_of(kJava, 15, 16),
                                                  lines_of(kJava, 17, 18)});
  for (const Event& e : events) CHECK(e.flags == 0);
  CHECK(counts.joined == 3);
  CHECK(counts.flushes[static_cast<size_t>(FlushReason::kEof)] == 1);
}

TEST_CASE("python: a traceback joins its message; a chained traceback stays in the same event") {
  const auto events = join_text(rules("python"), {}, kPython);
  check_covers(kPython, events);
  // The blank line after ZeroDivisionError is not followed by a chain: it is its own event.
  CHECK(texts(events) == std::vector<std::string>{lines_of(kPython, 1, 1), lines_of(kPython, 2, 16),
                                                  lines_of(kPython, 17, 21), "",
                                                  lines_of(kPython, 23, 23)});
}

TEST_CASE("go: a panic with its goroutines is one event; blank lines between goroutines kept") {
  const auto events = join_text(rules("go"), {}, kGo);
  check_covers(kGo, events);
  CHECK(texts(events) == std::vector<std::string>{lines_of(kGo, 1, 1), lines_of(kGo, 2, 16),
                                                  lines_of(kGo, 17, 17), lines_of(kGo, 18, 22), "",
                                                  lines_of(kGo, 24, 24)});
}

TEST_CASE("start: a matching line begins an event; lines before the first one form their own") {
  const std::string text =
      "\tat tail.of.a.previous.Event(X.java:1)\n"
      "2024-05-01 12:00:00 one\n"
      "  more of one\n"
      "2024-05-01 12:00:01 two\n"
      "2024-05-01 12:00:02 three\n"
      "  more of three\n"
      "  and more";  // no final newline: included, flagged
  const auto events = join_text(rules("", R"(^\d{4}-\d\d-\d\d )"), {}, text);
  check_covers(text, events);
  CHECK(texts(events) == std::vector<std::string>{lines_of(text, 1, 1), lines_of(text, 2, 3),
                                                  lines_of(text, 4, 4), lines_of(text, 5, 7)});
  CHECK(events.back().flags == kEventNoNewline);
}

TEST_CASE("continue: a matching line continues the event") {
  const std::string text = "a\n b\n c\nd\ne\n\tf\n";
  const auto events = join_text(rules("", "", R"(^\s)"), {}, text);
  check_covers(text, events);
  CHECK(texts(events) == std::vector<std::string>{"a\n b\n c", "d", "e\n\tf"});
}

TEST_CASE("max_lines cuts an event, flags it truncated, and the rest continues as a new one") {
  const std::string text = "head\n 1\n 2\n 3\n 4\n 5\n 6\nnext\n";
  MultilineCounts counts;
  const auto events = join_text(rules("", "", R"(^\s)"), {3, 1 << 20}, text, &counts);
  check_covers(text, events);
  REQUIRE(texts(events) == std::vector<std::string>{"head\n 1\n 2", " 3\n 4\n 5", " 6", "next"});
  CHECK(events[0].flags == kEventTruncated);
  CHECK(events[1].flags == kEventTruncated);
  CHECK(events[2].flags == 0);
  CHECK(counts.flushes[static_cast<size_t>(FlushReason::kMaxLines)] == 2);
}

TEST_CASE("max_bytes cuts an event before the line that would pass it") {
  const std::string text = "0123456789\n abcdefgh\n ijklmnop\nnext\n";
  MultilineCounts counts;
  const auto events = join_text(rules("", "", R"(^\s)"), {100, 25}, text, &counts);
  check_covers(text, events);
  REQUIRE(texts(events) == std::vector<std::string>{"0123456789\n abcdefgh", " ijklmnop", "next"});
  CHECK(events[0].message.size() <= 25);
  CHECK(events[0].flags == kEventTruncated);
  CHECK(counts.flushes[static_cast<size_t>(FlushReason::kMaxBytes)] == 1);
}

TEST_CASE("a single line longer than max_bytes is not split") {
  const std::string text = std::string(100, 'x') + "\n continued\n";
  const auto events = join_text(rules("", "", R"(^\s)"), {100, 50}, text);
  check_covers(text, events);
  CHECK(texts(events) == std::vector<std::string>{std::string(100, 'x'), " continued"});
  CHECK(events[0].flags == kEventTruncated);  // it could not take its continuation
}

TEST_CASE("the joiner holds an event until a line that does not continue it, or a flush") {
  const std::string text = "ERROR boom\n\tat a.B.c(B.java:1)\n";
  std::vector<Event> lines{{std::string_view(text).substr(0, 10), 100, 0, 0},
                           {std::string_view(text).substr(11, 19), 111, 0, 0}};
  MultilineJoiner joiner(rules("java"), {});
  std::vector<Event> out;
  joiner.push(lines[0], out);
  joiner.push(lines[1], out);
  CHECK(out.empty());
  REQUIRE(joiner.pending());
  CHECK(joiner.pending_offset() == 100);
  joiner.flush(FlushReason::kFlushAfter, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].message == "ERROR boom\n\tat a.B.c(B.java:1)");
  CHECK(out[0].offset == 100);
  CHECK(out[0].flags == 0);
  CHECK_FALSE(joiner.pending());
  CHECK(joiner.counts().flushes[static_cast<size_t>(FlushReason::kFlushAfter)] == 1);
  joiner.reset();
  CHECK(joiner.counts().flushes[static_cast<size_t>(FlushReason::kFlushAfter)] == 0);
}

TEST_CASE("lines that are not contiguous, or were cut by max_line_bytes, are never joined") {
  const std::string a = "ERROR boom\n";
  const std::string b = "\tat a.B.c(B.java:1)\n";
  MultilineJoiner joiner(rules("java"), {});
  std::vector<Event> out;
  joiner.push({std::string_view(a).substr(0, 10), 0, 0, 0}, out);
  joiner.push({std::string_view(b).substr(0, 19), 11, 0, 0}, out);  // another buffer
  CHECK(texts(out) == std::vector<std::string>{"ERROR boom"});
  const std::string c = "ERROR boom\n\tat a.B.c(B.java:1)\n";
  out.clear();
  joiner.reset();
  joiner.push({std::string_view(c).substr(0, 10), 0, 0, 0}, out);
  joiner.push({std::string_view(c).substr(11, 4), 11, kEventTruncated, 0}, out);
  CHECK(texts(out) == std::vector<std::string>{"ERROR boom", "\tat "});
  CHECK(out[1].flags == kEventTruncated);
  CHECK_FALSE(joiner.pending());
}

TEST_CASE("windows line endings: the built-in modes ignore a trailing '\\r'") {
  const std::string text =
      "ERROR x\r\nTraceback (most recent call last):\r\n  File \"a.py\", line 1\r\n"
      "ValueError: v\r\n\r\nDuring handling of the above exception, another exception "
      "occurred:\r\n\r\nTraceback (most recent call last):\r\n  File \"a.py\", line 2\r\n"
      "KeyError: k\r\nnext\r\n";
  const auto events = join_text(rules("python"), {}, text);
  check_covers(text, events);
  REQUIRE(events.size() == 2);
  CHECK(events[1].message == "next\r");
}

TEST_CASE("malformed input: NUL bytes, invalid UTF-8, empty lines and stray frames lose nothing") {
  std::mt19937 rng(11);
  const std::vector<std::string> vocabulary = {
      "",
      " ",
      "\t",
      "\tat x.Y.z(Y.java:1)",
      "\t... 3 more",
      "Caused by: a.B: c",
      "java.lang.Error",
      "Traceback (most recent call last):",
      "  File \"x\", line 1",
      "E: e",
      "During handling of the above exception, another exception occurred:",
      "panic: p",
      "goroutine 1 [running]:",
      "main.main()",
      "created by x",
      "exit status 2",
      "fatal error: f",
      std::string("nul\0byte", 8),
      "\xff\xfe invalid utf-8 \xc3",
      "2024-05-01 plain",
      "\r",
      "((((",
      "\\"};
  const std::vector<std::shared_ptr<const MultilineRules>> all = {
      rules("java"), rules("python"), rules("go"), rules("", R"(^\d{4}-)"),
      rules("", "", R"(^\s)")};
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) text += vocabulary[rng() % vocabulary.size()] + "\n";
    if (rng() % 3 == 0) text += "partial";
    const MultilineLimits limits{static_cast<uint32_t>(2 + rng() % 6), 8 + rng() % 200};
    for (const auto& r : all) {
      const auto events = join_text(r, limits, text);
      check_covers(text, events);
      for (const Event& e : events) {
        const auto lines =
            static_cast<uint32_t>(std::count(e.message.begin(), e.message.end(), '\n') + 1);
        CHECK(lines <= limits.max_lines);
        if (lines > 1) CHECK(e.message.size() <= limits.max_bytes);
      }
    }
  }
}

TEST_CASE("multiline rules: exactly one of mode, start and continue; bad patterns explained") {
  CHECK(MultilineRules::compile("", "", "").message() ==
        "set exactly one of mode, start and continue");
  CHECK_FALSE(MultilineRules::compile("java", "^a", "").is_ok());
  CHECK(MultilineRules::compile("ruby", "", "").message() ==
        "mode 'ruby' is not one of: java, python, go");
  const auto bad = MultilineRules::compile("", "^(\\d+", "");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.message().find("invalid start pattern: missing )") == 0);
  const auto bad2 = MultilineRules::compile("", "", "a**");
  REQUIRE_FALSE(bad2.is_ok());
  CHECK(bad2.message() == "invalid continue pattern: bad repetition operator: ** (at offset 1)");
}

}  // namespace logagent::plugins::tail
