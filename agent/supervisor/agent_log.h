// The agent's own log: leveled, text or JSON lines on stderr, with repeated messages
// rate-limited so that a persistent error cannot flood the journal.
//
// text: 2026-11-27T04:05:06.123+00:00 warning message
// json: {"time":"2026-11-27T04:05:06.123456Z","level":"warning","msg":"message"}
//
// Rate limit: within each 10 s window, the first 5 copies of an identical message (same level
// and text) are written; further copies are counted, and when the window ends one line says
// how many were suppressed ("suppressed N repeats of: ..."). Most components already log a
// cause once; this is the backstop.
//
// Threads: spdlog's loggers are thread-safe; the rate limiter has its own mutex.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include <chrono>
#include <memory>
#include <string>

#include "agent/config/config.h"

namespace logagent {

struct AgentLogOptions {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  int burst = 5;  // copies of one message per window
  std::chrono::milliseconds window{10000};
};

// Installs the default logger on stderr.
void setup_agent_log(const AgentLogOptions& options);

// The same, writing to `out` (tests).
std::shared_ptr<spdlog::logger> make_agent_logger(const AgentLogOptions& options,
                                                  std::shared_ptr<spdlog::sinks::sink> out);

}  // namespace logagent
