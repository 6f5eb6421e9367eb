#include "agent/top/top_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

namespace logagent::top {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kMaxFigure = std::numeric_limits<double>::max();

// NaN and infinities would poison sums and rates: a figure top cannot show counts as 0.
double finite(double v) { return std::isfinite(v) ? v : 0.0; }

// sum += v, held within the finite doubles (huge samples must not sum to infinity).
void add(double& sum, double v) {
  const double s = sum + finite(v);
  sum = std::isfinite(s) ? s : (s > 0 ? kMaxFigure : -kMaxFigure);
}

void add_pipeline_sample(const PromSample& s, PipelineFigures& p) {
  const std::string_view n = s.name;
  const double v = finite(s.value);
  if (n == "logagent_input_lines_total") {
    add(p.lines_in, v);
  } else if (n == "logagent_input_bytes_total") {
    add(p.bytes_in, v);
  } else if (n == "logagent_files_open") {
    add(p.files_open, v);
  } else if (n == "logagent_input_bytes_behind") {
    add(p.bytes_behind, v);
  } else if (n == "logagent_pipeline_oldest_unacked_age_seconds") {
    p.lag_seconds = std::max(p.lag_seconds, v);
  } else if (n == "logagent_input_open_errors_total" || n == "logagent_input_read_errors_total" ||
             n == "logagent_pipeline_batches_failed_total" ||
             n == "logagent_checkpoint_errors_total" || n == "logagent_input_files_lost_total") {
    add(p.errors, v);
  }
}

void add_sink_sample(const PromSample& s, SinkFigures& k) {
  const std::string_view n = s.name;
  const double v = finite(s.value);
  if (n == "logagent_sink_events_total") {
    if (s.label("result") == "ok") add(k.events_ok, v);
    if (s.label("result") == "error") add(k.errors, v);
  } else if (n == "logagent_sink_bytes_total") {
    add(k.bytes, v);
  } else if (n == "logagent_sink_write_errors_total" || n == "logagent_kafka_errors_total") {
    add(k.errors, v);
  }
}

bool is_sink_metric(std::string_view n) {
  return n == "logagent_sink_events_total" || n == "logagent_sink_bytes_total" ||
         n == "logagent_sink_write_errors_total" || n == "logagent_kafka_errors_total";
}

}  // namespace

TopSnapshot snapshot_of(const PromScrape& scrape) {
  TopSnapshot out;
  for (const PromSample& s : scrape.samples) {
    if (s.name == "logagent_buffer_pool_in_use") out.pool_in_use = finite(s.value);
    if (s.name == "logagent_buffer_pool_capacity") out.pool_capacity = finite(s.value);
    if (s.name == "logagent_build_info") out.version = std::string(s.label("version"));
    const std::string_view pipeline = s.label("pipeline");
    if (pipeline.empty() || !s.name.starts_with("logagent_")) continue;
    PipelineFigures& p = out.pipelines[std::string(pipeline)];
    const std::string_view sink = s.label("sink");
    if (is_sink_metric(s.name)) {
      if (!sink.empty()) add_sink_sample(s, p.sinks[std::string(sink)]);
    } else {
      add_pipeline_sample(s, p);
    }
  }
  return out;
}

double counter_rate(double before, double after, double seconds) {
  if (!(seconds > 0)) return 0;
  before = std::max(before, 0.0);  // a counter is never negative: such a sample counts as 0
  after = std::max(after, 0.0);
  const double delta = after >= before ? after - before : after;  // a decrease is a reset
  const double rate = delta / seconds;
  return std::isfinite(rate) ? rate : 0;
}

TopView top_rates(const TopSnapshot& before, const TopSnapshot& after, double seconds) {
  TopView view;
  view.pool_in_use = after.pool_in_use;
  view.pool_capacity = after.pool_capacity;
  view.version = after.version;
  static const PipelineFigures kNoPipeline;
  static const SinkFigures kNoSink;
  for (const auto& [name, p] : after.pipelines) {
    const auto was = before.pipelines.find(name);
    const PipelineFigures& b = was == before.pipelines.end() ? kNoPipeline : was->second;
    TopRow row;
    row.name = name;
    row.events_in_per_s = counter_rate(b.lines_in, p.lines_in, seconds);
    row.mib_per_s = counter_rate(b.bytes_in, p.bytes_in, seconds) / kMiB;
    row.lag_seconds = p.lag_seconds;
    row.bytes_behind = p.bytes_behind;
    row.files_open = p.files_open;
    row.errors = p.errors;
    std::vector<TopRow> sinks;
    for (const auto& [sink_name, k] : p.sinks) {
      const auto sink_was = b.sinks.find(sink_name);
      const SinkFigures& bk = sink_was == b.sinks.end() ? kNoSink : sink_was->second;
      TopRow sr;
      sr.name = sink_name;
      sr.is_sink = true;
      sr.events_out_per_s = counter_rate(bk.events_ok, k.events_ok, seconds);
      sr.mib_per_s = counter_rate(bk.bytes, k.bytes, seconds) / kMiB;
      sr.errors = k.errors;
      row.events_out_per_s =
          sinks.empty() ? sr.events_out_per_s : std::min(row.events_out_per_s, sr.events_out_per_s);
      sinks.push_back(std::move(sr));
    }
    view.rows.push_back(std::move(row));
    for (auto& sr : sinks) view.rows.push_back(std::move(sr));
  }
  return view;
}

}  // namespace logagent::top
