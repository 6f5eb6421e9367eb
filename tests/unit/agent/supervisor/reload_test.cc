// apply_reload() and the summary a reload answers with.
#include "agent/supervisor/reload.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>

#include "agent/pipeline/exactly_once_fakes.h"

using namespace logagent;
using namespace logagent::testing;

TEST_CASE("a reload's summary counts a pipeline that failed to start as stopped, not running") {
  char tmpl[] = "/tmp/logagent-reload-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  Registry registry;
  registry.add_input<ResumingInput>();
  registry.add_sink<TxSink>();
  TxSink::reset();
  TxSink::begin_error = "no cluster";  // exactly_once cannot begin: that pipeline cannot start
  ResumingInput::batches = 1;
  BufferPool pool{16 * 4096, 4096};
  auto metrics = std::make_shared<MetricsRegistry>();
  auto next = std::make_shared<AgentConfig>();
  next->data_dir = dir;
  next->shutdown_timeout.value = std::chrono::seconds(5);
  for (const char* name : {"runs", "stopped"}) {
    PipelineConfig pc;
    pc.name = name;
    pc.delivery = pc.name == "runs" ? Delivery::kAtLeastOnce : Delivery::kExactlyOnce;
    pc.input = {"resuming", registry.find(PluginKind::kInput, "resuming"),
                std::make_shared<ResumingInput::Options>(), "test"};
    pc.sinks.push_back({"tx", registry.find(PluginKind::kSink, "tx"),
                        std::make_shared<TxSink::Options>(), "test"});
    next->pipelines.push_back(std::move(pc));
  }
  AgentConfig running;
  running.data_dir = dir;
  std::vector<Slot> slots;
  const ReloadOutcome out =
      apply_reload(slots, running, next, [&](const AgentConfig& c, const PipelineConfig& pc) {
        return Pipeline::create(pc, c, pool, metrics, false);
      });
  CHECK(out.failed);
  REQUIRE(slots.size() == 2);
  CHECK(reload_summary(slots, next) == "done: 1 pipeline(s) running, 1 stopped, 0 unchanged");
  slots.clear();
  TxSink::reset();
  std::filesystem::remove_all(dir);
}
