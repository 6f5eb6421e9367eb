// Helpers for the processor stage tests: batches over owned lines, with optional parsed fields.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/plugin.h"
#include "agent/metrics/metrics_registry.h"

namespace logagent::testing {

// A batch whose events view `lines`; fields added with add() view strings kept here.
struct ProcBatch {
  std::deque<std::string> strings;
  Batch batch;

  explicit ProcBatch(const std::vector<std::string>& lines, std::string path = "/var/log/a.log") {
    batch.source = std::make_shared<SourceInfo>(SourceInfo{std::move(path)});
    uint64_t offset = 100;
    for (const auto& t : lines) {
      strings.push_back(t);
      batch.events.push_back({strings.back(), offset, 0, 0});
      offset += t.size() + 1;
    }
  }
  // Gives event `i` the fields `kv` (call in event order to keep spans contiguous at the end).
  void set_fields(size_t i, const std::vector<std::pair<std::string, std::string>>& kv) {
    if (batch.spans.size() < batch.events.size()) batch.spans.resize(batch.events.size());
    batch.spans[i] = {static_cast<uint32_t>(batch.fields.size()), static_cast<uint32_t>(kv.size())};
    for (const auto& [k, v] : kv) {
      strings.push_back(k);
      const std::string& key = strings.back();
      strings.push_back(v);
      batch.fields.push_back(Field{key, strings.back(), FieldType::kString});
    }
  }
  bool dropped(size_t i) const { return (batch.events[i].flags & kEventDropped) != 0; }
};

// "k=v,k2=v2" for the fields of event `i`.
inline std::string fields_text(const Batch& batch, size_t i) {
  std::string out;
  for (const Field& f : fields_of(batch, i)) {
    if (!out.empty()) out.push_back(',');
    out.append(f.key).append("=").append(f.value);
  }
  return out;
}

struct MetricsFixture {
  std::shared_ptr<MetricsRegistry> registry = std::make_shared<MetricsRegistry>();
  PluginContext ctx;
  MetricsFixture() {
    ctx.pipeline = "app";
    ctx.metrics = MetricsScope(registry, {{"pipeline", "app"}});
  }
  bool has(const std::string& line) const {
    return registry->render().find(line) != std::string::npos;
  }
};

}  // namespace logagent::testing
