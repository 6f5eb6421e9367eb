#include "agent/supervisor/metrics_reference.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <span>
#include <string_view>

#include "agent/metrics/agent_metrics.h"
#include "agent/metrics/process_metrics.h"
#include "agent/pipeline/acknowledger.h"
#include "agent/pipeline/checkpointer.h"
#include "agent/pipeline/encode_stage.h"
#include "agent/pipeline/lane.h"
#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/sink_fanout.h"
#include "agent/supervisor/heap.h"
#include "agent/supervisor/readiness.h"
#include "agent/supervisor/restarter.h"
#include "agent/supervisor/tap_service.h"

namespace logagent {
namespace {

// Table cells: no line breaks, '|' escaped.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// "pipeline,sink" → "`pipeline`, `sink`"; "" → "—".
std::string labels_cell(std::string_view labels) {
  if (labels.empty()) return "—";
  std::string out;
  while (!labels.empty()) {
    const size_t comma = labels.find(',');
    out += fmt::format("{}`{}`", out.empty() ? "" : ", ", labels.substr(0, comma));
    labels = comma == std::string_view::npos ? std::string_view() : labels.substr(comma + 1);
  }
  return out;
}

}  // namespace

std::vector<MetricDef> core_metric_defs() {
  const std::span<const MetricDef> tables[] = {
      kPipelineMetrics,     kLaneMetrics,      kSinkFanoutMetrics, kAcknowledgerMetrics,
      kCheckpointerMetrics, kEncodeMetrics,    kAgentMetrics,      kHeapMetrics,
      kRestarterMetrics,    kReadinessMetrics, kProcessMetrics,    kTapMetrics};
  std::vector<MetricDef> out;
  for (const auto& table : tables) out.insert(out.end(), table.begin(), table.end());
  return out;
}

MetricDefs all_metric_defs(const Registry& registry) {
  std::vector<MetricDef> every = core_metric_defs();
  for (const PluginFactory* f : registry.all()) {
    every.insert(every.end(), f->metrics.begin(), f->metrics.end());
  }
  MetricDefs out;
  std::map<std::string_view, MetricDef> by_name;
  for (const MetricDef& d : every) {
    auto [it, added] = by_name.emplace(d.name, d);
    if (!added && it->second != d) out.conflicts.emplace_back(d.name);
  }
  for (const auto& [name, def] : by_name) out.defs.push_back(def);
  return out;
}

std::string metrics_reference(const Registry& registry) {
  std::string out =
      "| metric | kind | labels | meaning |\n"
      "|---|---|---|---|\n";
  for (const MetricDef& d : all_metric_defs(registry).defs) {
    out += fmt::format("| `{}` | {} | {} | {} |\n", d.name, to_string(d.kind),
                       labels_cell(d.labels), cell(d.help));
  }
  return out;
}

}  // namespace logagent
