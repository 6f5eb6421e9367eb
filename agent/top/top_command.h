// `logagent top`: the agent's pipelines and sinks seen live from a terminal, read from its
// /metrics (scraped every `interval`; rates are taken between two scrapes).
//
// --once prints one table (two scrapes `interval` apart) on stdout and returns 0, or prints why
// the agent could not be read on stderr and returns 1. The live view redraws the table every
// `interval` on the alternate screen; 'q' quits, 'p' pauses and resumes; a window resize redraws
// at once; SIGINT/SIGTERM quit. A failed scrape in the live view is shown on the status line and
// retried at the next refresh (the agent may be restarting).
#pragma once

#include <chrono>

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

}  // namespace logagent::top
