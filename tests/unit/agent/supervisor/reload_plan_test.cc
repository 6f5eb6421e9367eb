#include "agent/supervisor/reload_plan.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace logagent;

namespace {

using Action = ReloadPlan::Action;

AgentConfig config_of(std::vector<std::pair<std::string, std::string>> pipelines) {
  AgentConfig c;
  for (auto& [name, fingerprint] : pipelines) {
    PipelineConfig p;
    p.name = name;
    p.fingerprint = fingerprint;
    c.pipelines.push_back(std::move(p));
  }
  return c;
}

std::vector<PipelineState> states_of(const AgentConfig& c, bool running = true) {
  std::vector<PipelineState> out;
  for (const PipelineConfig& p : c.pipelines) out.push_back({&p, running});
  return out;
}

// "name:action[@index]" for each step, then "-index" for each removed pipeline.
std::string describe(const ReloadPlan& plan) {
  // Appends only: g++ 12 -O3 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
  std::string out;
  for (const ReloadPlan::Step& s : plan.steps) {
    out += s.config->name;
    if (s.action == Action::kStart) {
      out += ":start";
    } else {
      out += s.action == Action::kKeep ? ":keep@" : ":restart@";
      out += std::to_string(s.current);
    }
    out += ' ';
  }
  for (size_t i : plan.removed) {
    out += '-';
    out += std::to_string(i);
    out += ' ';
  }
  return out;
}

}  // namespace

TEST_CASE("a reload keeps unchanged pipelines, restarts changed ones, starts and removes") {
  const AgentConfig running = config_of({{"a", "A"}, {"b", "B"}, {"gone", "G"}});
  const AgentConfig next = config_of({{"b", "B2"}, {"new", "N"}, {"a", "A"}});
  CHECK(describe(plan_reload(running, states_of(running), next)) ==
        "b:restart@1 new:start a:keep@0 -2 ");
}

TEST_CASE("a reload restarts every pipeline when a setting they inherit changed") {
  const AgentConfig running = config_of({{"a", "A"}, {"b", "B"}});
  AgentConfig next = config_of({{"a", "A"}, {"b", "B"}});
  CHECK(describe(plan_reload(running, states_of(running), next)) == "a:keep@0 b:keep@1 ");
  next.shutdown_timeout.value = std::chrono::seconds(99);
  CHECK(describe(plan_reload(running, states_of(running), next)) == "a:restart@0 b:restart@1 ");
  next = config_of({{"a", "A"}, {"b", "B"}});
  next.checkpoint_interval.value = std::chrono::seconds(7);
  CHECK(describe(plan_reload(running, states_of(running), next)) == "a:restart@0 b:restart@1 ");
}

TEST_CASE("a reload restarts an unchanged pipeline that is not running") {
  const AgentConfig running = config_of({{"a", "A"}});
  CHECK(describe(plan_reload(running, states_of(running, false), running)) == "a:restart@0 ");
}

TEST_CASE("a reload of nothing running starts everything; of no pipeline removes everything") {
  const AgentConfig none;
  const AgentConfig some = config_of({{"a", "A"}, {"b", "B"}});
  CHECK(describe(plan_reload(none, {}, some)) == "a:start b:start ");
  CHECK(describe(plan_reload(some, states_of(some), none)) == "-0 -1 ");
}

TEST_CASE("the agent's own settings are reported as changed and kept as they run") {
  AgentConfig running;
  running.data_dir = "/var/lib/a";
  AgentConfig next = running;
  CHECK_FALSE(agent_settings_changed(running, next));
  next.shutdown_timeout.value = std::chrono::seconds(1);  // a pipeline setting: not the agent's
  CHECK_FALSE(agent_settings_changed(running, next));
  for (int i = 0; i < 4; ++i) {
    next = running;
    if (i == 0) next.data_dir = "/elsewhere";
    if (i == 1) next.metrics_listen = "127.0.0.1:1";
    if (i == 2) next.buffer_pool.bytes *= 2;
    if (i == 3) next.chunk_size.bytes *= 2;
    CHECK(agent_settings_changed(running, next));
    keep_agent_settings(running, next);
    CHECK_FALSE(agent_settings_changed(running, next));
  }
  next = running;
  next.metrics_allow_remote = !running.metrics_allow_remote;
  keep_agent_settings(running, next);
  CHECK(next.metrics_allow_remote == running.metrics_allow_remote);
}
