// Readiness: the body and status of GET /ready, and the gauge logagent_pipeline_ready{pipeline}
// that says the same per pipeline. The supervisor makes both from one list of its pipelines'
// states (Pipeline::not_ready()), published together every loop tick, so a scrape and /ready
// never disagree on why.
//
// Threads: summarize() is pure. ReadinessGauges is called by the supervisor thread only; its
// series are read by scrapes on the HTTP threads, as every gauge is.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/metrics.h"
#include "agent/metrics/metrics_registry.h"

namespace logagent {

inline constexpr MetricDef kPipelineReady{
    "logagent_pipeline_ready", MetricKind::kGauge, "pipeline",
    "1 when the pipeline runs and every sink of it can deliver (its line of GET /ready says "
    "ready), else 0; removed with the pipeline by a reload"};
inline constexpr MetricDef kReadinessMetrics[] = {kPipelineReady};

struct PipelineReadiness {
  std::string name;
  std::string not_ready;  // empty when ready, else why not
};

struct Readiness {
  bool ready = false;  // at least one pipeline, and every one ready
  std::string detail;  // "pipeline NAME: ready" or "pipeline NAME: WHY", a line each
};
Readiness summarize(const std::vector<PipelineReadiness>& pipelines);

// logagent_pipeline_ready{pipeline}: one series per pipeline last given to update().
class ReadinessGauges {
 public:
  explicit ReadinessGauges(std::shared_ptr<MetricsRegistry> metrics)
      : metrics_(std::move(metrics)) {}

  // Sets each pipeline's series to 1 (ready) or 0, and removes the series of the pipelines
  // that are no longer listed (stopped by a reload).
  void update(const std::vector<PipelineReadiness>& pipelines);

 private:
  std::shared_ptr<MetricsRegistry> metrics_;
  std::map<std::string, Gauge> gauges_;  // by pipeline name: the series made so far
};

}  // namespace logagent
