#include "agent/supervisor/supervisor.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/buffer_pool.h"
#include "agent/metrics/agent_metrics.h"
#include "agent/metrics/http_server.h"
#include "agent/metrics/metrics_registry.h"
#include "agent/metrics/process_metrics.h"
#include "agent/pipeline/pipeline.h"
#include "agent/supervisor/data_dir_lock.h"
#include "agent/supervisor/health.h"
#include "agent/supervisor/heap.h"
#include "agent/supervisor/once_report.h"
#include "agent/supervisor/readiness.h"
#include "agent/supervisor/reload.h"
#include "agent/supervisor/reload_channel.h"
#include "agent/supervisor/reload_plan.h"
#include "agent/supervisor/restarter.h"
#include "agent/supervisor/sd_notify.h"
#include "agent/supervisor/tap_service.h"
#include "agent/version.h"

namespace logagent {
namespace {

using Clock = std::chrono::steady_clock;

sigset_t control_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

PipelineStats total_stats(const std::vector<Slot>& slots) {
  PipelineStats t;
  for (const auto& slot : slots) {
    const PipelineStats s = slot.pipeline->stats();
    t.lines_read += s.lines_read;
    t.bytes_read += s.bytes_read;
    t.events_acked += s.events_acked;
    t.events_failed += s.events_failed;
    t.bytes_behind += s.bytes_behind;
    t.files += s.files;
    for (const std::string& u : s.unread) t.unread.push_back(slot.pipeline->name() + ": " + u);
  }
  return t;
}

bool all_done(const std::vector<Slot>& slots) {
  for (const auto& slot : slots) {
    if (!slot.pipeline->input_finished() || !slot.pipeline->settled()) return false;
  }
  return true;
}

HttpResponse text_reply(int status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(body)};
}

class Supervisor {
 public:
  Supervisor(const AgentConfig& config, const RunOptions& options)
      : config_(std::make_shared<const AgentConfig>(config)),
        options_(options),
        metrics_(std::make_shared<MetricsRegistry>()),
        pool_(config.buffer_pool.bytes, config.chunk_size.bytes),
        heap_trimmer_(*metrics_) {
    register_agent_metrics(*metrics_, pool_, LOGAGENT_VERSION);
    register_process_metrics(*metrics_);
    register_heap_metrics(*metrics_);
  }

  int run();

 private:
  Status start_http();
  Result<std::unique_ptr<Pipeline>> make_pipeline(const AgentConfig& config,
                                                  const PipelineConfig& pc) {
    return Pipeline::create(pc, config, pool_, metrics_, options_.once);
  }
  bool start_pipelines();
  void loop();
  int stop();
  HttpResponse reload();
  void publish_health();

  std::shared_ptr<const AgentConfig> config_;
  const RunOptions options_;
  std::shared_ptr<MetricsRegistry> metrics_;
  BufferPool pool_;
  std::vector<Slot> slots_;
  HeapTrimmer heap_trimmer_;  // keeps RSS following the live heap (see agent/supervisor/heap.h)
  Health health_;
  ReadinessGauges readiness_{metrics_};
  ReloadChannel reloads_;
  Restarter restarter_{metrics_};  // pipelines whose exactly-once transaction failed
  Clock::time_point started_ = Clock::now();
  bool progress_ = false;  // --once on a terminal: a live progress line
  // Set by a reload a SIGTERM or SIGINT interrupted (or came during): the deadline its drains
  // had, which the stop that follows keeps (the agent stops within one shutdown_timeout of the
  // signal).
  std::optional<Clock::time_point> stop_by_;
  TapService taps_{metrics_};  // GET /tap; outlives http_, whose handlers use it
  HttpServer http_;            // last: stopped first, while what its handlers use still exists
};

Status Supervisor::start_http() {
  if (config_->metrics_listen.empty()) return Status::ok();
  http_.route("GET", "/metrics", [this](const std::string&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_->render()};
  });
  http_.route("GET", "/healthz", [this](const std::string&) { return health_.alive(); });
  http_.route("GET", "/ready", [this](const std::string&) { return health_.ready(); });
  http_.route("POST", "/-/reload", [this](const std::string&) { return reloads_.request(); });
  http_.stream_route("/tap", [this](const HttpRequest& request, HttpStream& stream) {
    taps_.serve(request, stream);
  });
  http_.set_stream_threads(static_cast<int>(TapService::kMaxTaps));
  return http_.start(config_->metrics_listen);
}

// What the HTTP threads see of the pipelines, from one look at them: the tap hubs,
// logagent_pipeline_ready and /ready (the gauges first, so a scrape that follows an answer of
// /ready sees at least that state).
void Supervisor::publish_health() {
  std::map<std::string, std::shared_ptr<TapHub>> hubs;
  for (const auto& slot : slots_) hubs[slot.pipeline->name()] = slot.pipeline->taps();
  taps_.publish(std::move(hubs));
  std::vector<PipelineReadiness> pipelines;
  for (const auto& slot : slots_) {
    pipelines.push_back({slot.pipeline->name(), slot.pipeline->not_ready()});
  }
  readiness_.update(pipelines);
  Readiness r = summarize(pipelines);
  health_.publish(r.ready, std::move(r.detail));
}

// Builds every pipeline, then starts them; on a failure, stops those started.
bool Supervisor::start_pipelines() {
  for (const auto& pc : config_->pipelines) {
    auto p = make_pipeline(*config_, pc);
    if (!p) {
      spdlog::error("pipeline {}: {}", pc.name, p.message());
      return false;
    }
    slots_.push_back({config_, &pc, std::move(p.value())});
  }
  for (auto& slot : slots_) {
    if (Status st = slot.pipeline->start(); !st) {
      spdlog::error("pipeline {}: {}", slot.pipeline->name(), st.message());
      for (auto& other : slots_) other.pipeline->shutdown(Clock::now());
      return false;
    }
  }
  return true;
}

int Supervisor::run() {
  if (Status st = start_http(); !st) {
    spdlog::error("{}", st.message());
    return 1;
  }
  if (!start_pipelines()) return 1;
  spdlog::info("logagent {} running {} pipeline(s); buffer pool {} x {} KiB", LOGAGENT_VERSION,
               slots_.size(), pool_.capacity(), pool_.chunk_bytes() / 1024);
  sd_notify_state(fmt::format("READY=1\nSTATUS=running {} pipeline(s)", slots_.size()));
  started_ = Clock::now();
  progress_ = options_.once && ::isatty(STDERR_FILENO) != 0;
  loop();
  return stop();
}

// Until SIGTERM or SIGINT (or, with --once, until everything was read and settled): reloads on
// SIGHUP, heap trimming, the progress line.
void Supervisor::loop() {
  const sigset_t signals = control_signals();
  // --once polls for completion often; a live agent only needs to notice signals.
  const timespec tick{0, (options_.once ? 5 : 200) * 1000 * 1000};
  for (;;) {
    health_.beat();
    publish_health();
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("signal {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      return;
    }
    if (sig == SIGHUP) {
      HttpResponse reply = reload();
      publish_health();  // /ready tells the new state as soon as the reload is answered
      reloads_.complete(std::move(reply));
    }
    restarter_.tick(slots_, [this](const AgentConfig& c, const PipelineConfig& pc) {
      return make_pipeline(c, pc);
    });
    if (options_.once && all_done(slots_)) return;
    if (const auto now = Clock::now(); !options_.once && heap_trimmer_.due(now)) {
      pool_.shrink();  // a past burst's buffers first, then what malloc holds
      heap_trimmer_.trim(now);
    }
    if (progress_) {
      show_progress(total_stats(slots_),
                    std::chrono::duration<double>(Clock::now() - started_).count());
    }
  }
}

// Drains every pipeline within shutdown_timeout (or by the deadline of an interrupted reload);
// returns the exit status.
int Supervisor::stop() {
  sd_notify_state("STOPPING=1");
  health_.publish(false, "stopping\n");
  std::vector<PipelineReadiness> stopping;
  for (const auto& slot : slots_) stopping.push_back({slot.pipeline->name(), "stopping"});
  readiness_.update(stopping);
  taps_.stop_all();
  auto deadline = Clock::now() + config_->shutdown_timeout.value;
  if (stop_by_) deadline = std::min(deadline, *stop_by_);
  std::vector<std::string> unsaved;
  for (auto& slot : slots_) {
    if (!slot.pipeline->shutdown(deadline)) unsaved.push_back(slot.pipeline->name());
  }
  int code = 0;
  if (options_.once) {
    if (progress_) clear_progress();
    code = report_once(total_stats(slots_),
                       std::chrono::duration<double>(Clock::now() - started_).count(), unsaved);
  }
  http_.stop();
  slots_.clear();
  return code;
}

HttpResponse Supervisor::reload() {
  if (options_.registry == nullptr || options_.config_path.empty()) {
    spdlog::warn("reload requested: not available in this mode; ignored");
    return text_reply(400, "reload is not available\n");
  }
  if (stop_signal_pending()) return text_reply(503, "reload not started: the agent is stopping\n");
  spdlog::info("reload: reading {}", options_.config_path);
  sd_notify_state("RELOADING=1");
  Diagnostics diag;
  auto loaded = load_config(options_.config_path, *options_.registry, diag);
  if (!loaded) {
    std::string body = "reload refused, the running configuration stays:\n";
    for (const auto& e : diag.errors()) {
      spdlog::error("reload: {}", e);
      body += e + "\n";
    }
    spdlog::error("reload: {} error(s) in {}; still running the previous configuration",
                  diag.errors().size(), options_.config_path);
    sd_notify_state("READY=1\nSTATUS=reload refused (configuration errors)");
    return text_reply(400, body);
  }
  std::string report;
  if (agent_settings_changed(*config_, *loaded)) {
    spdlog::warn("reload: data_dir, metrics.listen and memory changes need a restart; kept");
    report += "warning: data_dir, metrics.listen and memory changes need a restart; kept\n";
  }
  keep_agent_settings(*config_, *loaded);
  auto next = std::make_shared<const AgentConfig>(std::move(*loaded));
  ReloadOutcome outcome = apply_reload(
      slots_, *config_, next,
      [this](const AgentConfig& c, const PipelineConfig& pc) { return make_pipeline(c, pc); });
  report += outcome.report;
  restarter_.forget();  // the pipelines it restarted are new; a failed one kept is seen again
  if (outcome.interrupted || stop_signal_pending()) stop_by_ = outcome.drain_by;
  if (outcome.interrupted) {
    spdlog::warn("reload: interrupted by a stop signal; stopping");
    return text_reply(503, report + "reload interrupted: the agent is stopping\n");
  }
  config_ = next;
  const std::string done = reload_summary(slots_, next);
  const auto running = std::count_if(slots_.begin(), slots_.end(),
                                     [](const Slot& s) { return s.pipeline->running(); });
  spdlog::info("reload: {}", done);
  sd_notify_state(fmt::format("READY=1\nSTATUS=running {} pipeline(s)", running));
  return text_reply(outcome.failed ? 500 : 200, report + done + "\n");
}

}  // namespace

int run_agent(const AgentConfig& config, const RunOptions& options) {
  const sigset_t signals = control_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts
  ::signal(SIGPIPE, SIG_IGN);
  if (::geteuid() == 0) {
    spdlog::warn("running as root; consider a dedicated user with CAP_DAC_READ_SEARCH instead");
  }
  DataDirLock lock;
  if (Status st = lock.acquire(config.data_dir); !st) {
    spdlog::error("{}", st.message());
    return 1;
  }
  Supervisor supervisor(config, options);
  return supervisor.run();
}

}  // namespace logagent
