// The Prometheus text exposition format (version 0.0.4), parsed into flat samples: what
// `logagent top` reads from the agent's /metrics.
//
// Every sample line `name{label="value",...} value [timestamp]` becomes a PromSample; label
// values are unescaped (\\, \", \n). Values parse as doubles, including NaN, +Inf and -Inf.
// Histograms and summaries are skipped (their _bucket, _sum, _count and quantile samples): `top`
// shows counters and gauges only. A malformed line is counted and skipped, never fatal, so one
// bad line does not hide the rest of a scrape. Comments other than # TYPE are ignored.
//
// Pure functions; no state; safe on any input (fuzzed by tests/fuzz/fuzz_prom_text.cc).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logagent::top {

struct PromSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // in the order of the line
  double value = 0;

  // The value of label `key`, or "" when the sample has no such label.
  std::string_view label(std::string_view key) const;
};

struct PromScrape {
  std::vector<PromSample> samples;
  size_t malformed_lines = 0;
};

PromScrape parse_prom_text(std::string_view text);

}  // namespace logagent::top
