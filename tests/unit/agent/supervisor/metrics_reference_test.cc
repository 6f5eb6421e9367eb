#include "agent/supervisor/metrics_reference.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "plugins/builtin_plugins.h"

using namespace logagent;

namespace {

struct NoOptions {
  static const Schema<NoOptions>& schema() {
    static const Schema<NoOptions> s;
    return s;
  }
};

struct CountingStage final : Stage {
  static constexpr std::string_view kName = "counting";
  using Options = NoOptions;
  static Result<std::unique_ptr<Stage>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Stage>(new CountingStage());
  }
  void process(Batch&) override {}
};

// Declares the same name as a core metric, with another meaning.
struct ClashingStage final : Stage {
  static constexpr std::string_view kName = "clashing";
  using Options = NoOptions;
  static Result<std::unique_ptr<Stage>> create(const Options&, const PluginContext&) {
    return std::unique_ptr<Stage>(new ClashingStage());
  }
  void process(Batch&) override {}
};

constexpr MetricDef kCounted{"logagent_counting_things_total", MetricKind::kCounter,
                             "pipeline,stage", "Things | counted"};

}  // namespace

namespace logagent {
template <>
struct PluginMetrics<CountingStage> {
  static std::vector<MetricDef> defs() { return {kCounted}; }
};
template <>
struct PluginMetrics<ClashingStage> {
  static std::vector<MetricDef> defs() {
    return {{"logagent_input_lines_total", MetricKind::kGauge, "pipeline", "Something else"}};
  }
};
}  // namespace logagent

TEST_CASE("the core and the builtin plugins declare every metric once, named by its kind") {
  Registry registry;
  plugins::register_builtin_plugins(registry);
  const MetricDefs all = all_metric_defs(registry);
  CHECK(all.conflicts.empty());
  std::set<std::string_view> names;
  for (const MetricDef& d : all.defs) {
    CAPTURE(d.name);
    CHECK(names.insert(d.name).second);
    CHECK((d.kind == MetricKind::kCounter) == d.name.ends_with("_total"));
    CHECK(!d.help.empty());
    CHECK((d.name.starts_with("logagent_") || d.name.starts_with("process_")));
  }
  for (const char* fixed :
       {"logagent_input_lines_total", "logagent_input_bytes_total", "logagent_files_open",
        "logagent_buffer_pool_in_use", "logagent_buffer_pool_capacity",
        "logagent_sink_events_total", "logagent_queue_depth", "logagent_input_files_lost_total"}) {
    CAPTURE(fixed);
    CHECK(names.count(fixed) == 1);
  }
}

TEST_CASE("plugins hand their metric tables to the registry when they register") {
  Registry registry;
  plugins::register_builtin_plugins(registry);
  for (const auto& plugin : {std::pair{PluginKind::kInput, "tail"},
                             {PluginKind::kSink, "kafka"},
                             {PluginKind::kSink, "file"},
                             {PluginKind::kStage, "json"},
                             {PluginKind::kStage, "drop"},
                             {PluginKind::kStage, "timestamp"}}) {
    const std::string name = plugin.second;
    CAPTURE(name);
    const PluginFactory* f = registry.find(plugin.first, name);
    REQUIRE(f != nullptr);
    CHECK_FALSE(f->metrics.empty());
  }
  CHECK(registry.find(PluginKind::kSink, "null")->metrics.empty());
}

TEST_CASE("the reference is a table with one row per metric: kind, labels and meaning") {
  Registry registry;
  registry.add_stage<CountingStage>();
  registry.add_stage<CountingStage>();  // refused: a duplicate adds no row
  const std::string table = metrics_reference(registry);
  CHECK(table.starts_with("| metric | kind | labels | meaning |\n|---|---|---|---|\n"));
  CHECK(table.find("| `logagent_counting_things_total` | counter | `pipeline`, `stage` | "
                   "Things \\| counted |\n") != std::string::npos);
  CHECK(table.find("| `logagent_buffer_pool_in_use` | gauge | — |") != std::string::npos);
  CHECK(table.find("| `logagent_stage_batch_duration_seconds` | histogram | `pipeline`, "
                   "`stage` |") != std::string::npos);
  size_t rows = 0;
  for (char c : table) rows += c == '\n';
  CHECK(rows == 2 + all_metric_defs(registry).defs.size());
}

TEST_CASE("a name declared twice with different meanings is reported as a conflict") {
  Registry registry;
  registry.add_stage<ClashingStage>();
  const MetricDefs all = all_metric_defs(registry);
  REQUIRE(all.conflicts.size() == 1);
  CHECK(all.conflicts[0] == "logagent_input_lines_total");
}
