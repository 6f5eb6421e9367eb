#include "agent/supervisor/readiness.h"

#include <set>

namespace logagent {

Readiness summarize(const std::vector<PipelineReadiness>& pipelines) {
  Readiness out;
  out.ready = !pipelines.empty();
  for (const PipelineReadiness& p : pipelines) {
    out.ready = out.ready && p.not_ready.empty();
    out.detail +=
        "pipeline " + p.name + ": " + (p.not_ready.empty() ? "ready" : p.not_ready) + "\n";
  }
  if (pipelines.empty()) out.detail = "no pipelines\n";
  return out;
}

void ReadinessGauges::update(const std::vector<PipelineReadiness>& pipelines) {
  std::set<std::string> listed;
  for (const PipelineReadiness& p : pipelines) {
    listed.insert(p.name);
    auto it = gauges_.find(p.name);
    if (it == gauges_.end()) {
      it = gauges_.emplace(p.name, Gauge(metrics_->gauge(kPipelineReady, {{"pipeline", p.name}})))
               .first;
    }
    it->second.set(p.not_ready.empty() ? 1 : 0);
  }
  for (auto it = gauges_.begin(); it != gauges_.end();) {
    if (listed.count(it->first) != 0) {
      ++it;
      continue;
    }
    metrics_->remove_gauge(kPipelineReady, {{"pipeline", it->first}});
    it = gauges_.erase(it);
  }
}

}  // namespace logagent
