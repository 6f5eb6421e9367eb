// `logagent top`: the agent's pipelines and sinks seen live from a terminal, read from its
// /metrics (scraped every `interval`; rates are taken between two scrapes).
//
// --once prints one table (two scrapes `interval` apart) on stdout and returns 0, or prints why
// the agent could not be read on stderr and returns 1. The live view redraws the table every
// `interval` on the alternate screen; 'q' quits (0), 'p' pauses and resumes (rates start again
// from the resume); a window resize redraws at once; SIGINT and SIGTERM quit (128 + the signal).
// A failed scrape in the live view is shown on a line under the table, which keeps the last
// figures, and retried at the next refresh (the agent may be restarting).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "agent/top/http_get.h"

namespace logagent::top {

struct TopOptions {
  HttpUrl url;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{2000};  // of one scrape
  bool once = false;
  int once_width = 80;  // the width of --once's table
};

// Returns the process's exit code.
int run_top(const TopOptions& options);

// --once's table: two scrapes `interval` apart, rendered at `once_width`; the error names the URL
// and the cause.
Result<std::vector<std::string>> once_table(const TopOptions& options);

}  // namespace logagent::top
