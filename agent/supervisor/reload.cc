#include "agent/supervisor/reload.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "agent/supervisor/reload_plan.h"

namespace logagent {
namespace {

void note(ReloadOutcome& out, const std::string& line) {
  spdlog::info("reload: {}", line);
  out.report += line + "\n";
}

void fail(ReloadOutcome& out, const std::string& name, const std::string& message,
          std::string_view consequence = "") {
  out.failed = true;
  spdlog::error("reload: pipeline {}: {}{}", name, message, consequence);
  out.report += "error: pipeline " + name + ": " + message + "\n";
}

// Builds the pipeline `pc` of `next`, drains `old` (if any), starts the new one and adds it to
// `kept`. False when a stop signal came during the drain: the new pipeline is not started.
bool replace(const PipelineConfig& pc, Slot* old, const std::shared_ptr<const AgentConfig>& next,
             const MakePipeline& make, ReloadOutcome& out, std::vector<Slot>& kept) {
  // Build first: if the new pipeline cannot be built, the old one keeps running.
  auto made = make(*next, pc);
  if (!made) {
    fail(out, pc.name, made.message());
    if (old != nullptr) kept.push_back(std::move(*old));
    return true;
  }
  if (old != nullptr) {
    old->pipeline->shutdown(out.drain_by);
    old->pipeline.reset();
  }
  // Stopping now: the new pipeline never starts (and writes no checkpoint).
  if (stop_signal_pending()) return false;
  if (Status st = made.value()->start(); !st) {
    // Kept, stopped: /ready answers 503 naming it, and the next reload tries again. Having
    // never started, it writes no checkpoint: its file keeps what the old pipeline saved.
    // exactly_once whose sink could not begin its transactions: the Restarter tries again.
    fail(out, pc.name, st.message(),
         made.value()->restart_wanted()
             ? "; it is built and started again, with backoff, by itself (or by a reload)"
             : "; it stays stopped until a reload starts it");
  } else {
    note(out, std::string(old != nullptr ? "restarted" : "started") + " pipeline " + pc.name);
  }
  kept.push_back({next, &pc, std::move(made.value())});
  return true;
}

}  // namespace

std::string reload_summary(const std::vector<Slot>& slots,
                           const std::shared_ptr<const AgentConfig>& next) {
  size_t running = 0;
  size_t unchanged = 0;
  for (const Slot& s : slots) {
    if (s.pipeline->running()) ++running;
    if (s.config != next) ++unchanged;
  }
  return "done: " + std::to_string(running) + " pipeline(s) running, " +
         std::to_string(slots.size() - running) + " stopped, " + std::to_string(unchanged) +
         " unchanged";
}

bool stop_signal_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

ReloadOutcome apply_reload(std::vector<Slot>& slots, const AgentConfig& running,
                           const std::shared_ptr<const AgentConfig>& next,
                           const MakePipeline& make) {
  ReloadOutcome out;
  // One deadline for every drain of this reload, as for a stop: a reload takes at most one
  // shutdown_timeout however many pipelines it restarts.
  out.drain_by = std::chrono::steady_clock::now() + running.shutdown_timeout.value;
  std::vector<PipelineState> states;
  for (const Slot& slot : slots) states.push_back({slot.pc, slot.pipeline->running()});
  const ReloadPlan plan = plan_reload(running, states, *next);

  std::vector<Slot> kept;
  for (const ReloadPlan::Step& step : plan.steps) {
    if ((out.interrupted = stop_signal_pending())) break;
    Slot* old = step.action == ReloadPlan::Action::kStart ? nullptr : &slots[step.current];
    if (step.action == ReloadPlan::Action::kKeep) {
      kept.push_back(std::move(*old));  // unchanged: keeps running untouched
      continue;
    }
    if (!replace(*step.config, old, next, make, out, kept)) {
      out.interrupted = true;
      break;
    }
  }
  if (out.interrupted) {
    // The rest stays as it was, for the stop to drain by the same deadline.
    for (Slot& slot : slots) {
      if (slot.pipeline) kept.push_back(std::move(slot));
    }
  } else {
    for (size_t i : plan.removed) {
      note(out, "stopping pipeline " + slots[i].pc->name + " (no longer configured)");
      slots[i].pipeline->shutdown(out.drain_by);
    }
  }
  slots = std::move(kept);
  return out;
}

}  // namespace logagent
