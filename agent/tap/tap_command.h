// `logagent tap PIPELINE`: a live sample of the events at one point of a running pipeline, as
// json lines on stdout, read from the agent's GET /tap (agent/supervisor/tap_service.h).
//
// Ends with exit 0 after `limit` events (0: no limit), on SIGINT/SIGTERM, when stdout closes
// (`| head -1`: EPIPE, no message), or when the agent stops; a summary line goes to stderr
// ("logagent tap: 10 event(s); 3 skipped over the rate, 0 dropped (buffer full)"). When the
// pipeline is rebuilt by a reload, the tap attaches to the new pipeline (retrying for up to 10 s)
// and goes on. An error the agent answers (unknown pipeline or stage, too many taps, a remote
// peer) is printed on stderr with exit 1; an agent that cannot be reached, exit 1 too.
//
// Threads: the caller's; installs SIGINT, SIGTERM and SIGPIPE handlers for the run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/top/http_get.h"

namespace logagent::tap {

struct TapOptions {
  top::HttpUrl agent;  // host and port of the agent's listener (the path is ignored)
  std::string pipeline;
  std::optional<uint64_t> stage;  // absent: after the last stage
  uint64_t limit = 0;             // 0: until interrupted
  double rate = 100;              // events a second, at most
};

// The request path: "/tap?pipeline=...&stage=...&limit=...&rate=..." (the name percent-encoded).
std::string tap_path(const TapOptions& options);

// What a line of the stream is.
enum class TapLineKind { kEvent, kStart, kEnd, kEmpty };
TapLineKind classify_tap_line(std::string_view line);
// The value of "key" (a string or a number, as its text) in a tap_start or tap_end line; "" when
// absent.
std::string tap_line_value(std::string_view line, std::string_view key);

// Returns the process's exit code.
int run_tap(const TapOptions& options);

}  // namespace logagent::tap
