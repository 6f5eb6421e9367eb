// What `logagent top` shows, computed from the agent's metrics: a TopSnapshot is one scrape
// reduced to the figures of each pipeline and sink; top_rates() turns two snapshots into the rows
// of the table (per-second rates over the time between them, gauges from the later one).
//
// Counters that went down between the snapshots were reset (the agent restarted, or a pipeline was
// rebuilt by a reload): their rate is taken from zero, as Prometheus's rate() does.
//
// Pure values and functions; no threads.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "agent/top/prom_text.h"

namespace logagent::top {

struct SinkFigures {
  double events_ok = 0;  // logagent_sink_events_total{result="ok"}
  double bytes = 0;      // logagent_sink_bytes_total
  double errors = 0;     // failed events, failed writes, kafka errors (counters, summed)
};

struct PipelineFigures {
  double lines_in = 0;      // logagent_input_lines_total
  double bytes_in = 0;      // logagent_input_bytes_total
  double files_open = 0;    // gauge
  double bytes_behind = 0;  // gauge
  double lag_seconds = 0;   // logagent_pipeline_oldest_unacked_age_seconds
  double errors = 0;        // input, batch and checkpoint errors, files lost (counters, summed)
  std::map<std::string, SinkFigures> sinks;
};

struct TopSnapshot {
  std::map<std::string, PipelineFigures> pipelines;
  double pool_in_use = 0;
  double pool_capacity = 0;
  std::string version;  // logagent_build_info's label; "" when absent
};

TopSnapshot snapshot_of(const PromScrape& scrape);

struct TopRow {
  std::string name;  // the pipeline's, or the sink's under its pipeline
  bool is_sink = false;
  double events_in_per_s = 0;   // pipelines only
  double events_out_per_s = 0;  // a sink's acknowledged events; a pipeline's slowest sink's
  double mib_per_s = 0;         // read (pipelines) or acknowledged (sinks)
  double lag_seconds = 0;       // pipelines only
  double bytes_behind = 0;      // pipelines only
  double files_open = 0;        // pipelines only
  double errors = 0;            // total so far
};

struct TopView {
  std::vector<TopRow> rows;  // each pipeline followed by its sinks, by name
  double pool_in_use = 0;
  double pool_capacity = 0;
  std::string version;
};

// The rate of a counter from `before` to `after` over `seconds` (> 0), taking a decrease as a
// reset; never negative, 0 when `seconds` is not positive.
double counter_rate(double before, double after, double seconds);

// The table from two snapshots `seconds` apart; a pipeline or sink missing from `before` is taken
// as new (its counters started at zero).
TopView top_rates(const TopSnapshot& before, const TopSnapshot& after, double seconds);

}  // namespace logagent::top
