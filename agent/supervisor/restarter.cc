#include "agent/supervisor/restarter.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace logagent {
namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void Restarter::tick(std::vector<Slot>& slots, const MakePipeline& make) {
  for (Slot& slot : slots) {
    const std::string& name = slot.pc->name;
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      if (!slot.pipeline->restart_wanted()) continue;
      it = entries_.emplace(name, Entry{first_, {}, false, {}}).first;
    }
    Entry& e = it->second;
    const auto now = Clock::now();
    if (!e.waiting) {
      if (!slot.pipeline->restart_wanted()) continue;  // runs since its last restart
      if (e.since != Clock::time_point{} && now - e.since >= max_) e.backoff = first_;
      e.waiting = true;
      e.due = now + e.backoff;
      spdlog::warn("pipeline {}: starting it again from the committed checkpoint in {:g} s", name,
                   seconds(e.backoff));
      continue;
    }
    if (now >= e.due) restart(slot, e, make);
  }
}

void Restarter::retry_later(const std::string& name, Entry& e, const std::string& why) {
  e.backoff = std::min(e.backoff * 2, max_);
  e.due = Clock::now() + e.backoff;
  spdlog::error("pipeline {}: not started again: {}; next try in {:g} s", name, why,
                seconds(e.backoff));
}

void Restarter::restart(Slot& slot, Entry& e, const MakePipeline& make) {
  const std::string name = slot.pc->name;
  // Build first: if the new pipeline cannot be built, the stopped one stays in the slot.
  auto made = make(*slot.config, *slot.pc);
  if (!made) return retry_later(name, e, made.message());
  slot.pipeline->shutdown(Clock::now() + slot.config->shutdown_timeout.value);
  slot.pipeline = std::move(made.value());
  if (stop_signal_pending()) return;  // stopping: the new pipeline never starts
  MetricsScope(metrics_, {{"pipeline", name}}).counter(kPipelineRestarts).inc();
  if (Status st = slot.pipeline->start(); !st) return retry_later(name, e, st.message());
  spdlog::info("pipeline {}: started again from the committed checkpoint", name);
  e.waiting = false;
  e.since = Clock::now();
  e.backoff = std::min(e.backoff * 2, max_);
}

}  // namespace logagent
