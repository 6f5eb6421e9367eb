#include "agent/supervisor/supervisor.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "agent/core/buffer_pool.h"
#include "agent/metrics/http_server.h"
#include "agent/metrics/metrics_registry.h"
#include "agent/metrics/process_metrics.h"
#include "agent/pipeline/pipeline.h"
#include "agent/supervisor/data_dir_lock.h"
#include "agent/supervisor/heap.h"
#include "agent/supervisor/sd_notify.h"
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

// A SIGTERM or SIGINT is waiting to be taken (by the run loop's sigtimedwait).
bool stop_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

void register_agent_metrics(MetricsRegistry& metrics, const BufferPool& pool) {
  MetricsScope scope(nullptr, {});
  Gauge in_use(metrics.gauge("logagent_buffer_pool_in_use",
                             "Pooled buffers checked out (live writers); 0 when idle", {}));
  Gauge capacity(metrics.gauge("logagent_buffer_pool_capacity", "Pooled buffers in total", {}));
  Gauge high(metrics.gauge("logagent_buffer_pool_high_water", "Most buffers ever checked out", {}));
  Gauge bytes(metrics.gauge("logagent_buffer_pool_chunk_bytes", "Bytes per pooled buffer", {}));
  Gauge waits(metrics.gauge("logagent_buffer_pool_waits",
                            "Times a reader waited for a buffer (backpressure)", {}));
  Gauge allocated(metrics.gauge("logagent_buffer_pool_allocated",
                                "Pooled buffers allocated now (checked out or kept for reuse); "
                                "surplus ones are freed every 10 s",
                                {}));
  Gauge(metrics.gauge("logagent_build_info", "Build information", {{"version", LOGAGENT_VERSION}}))
      .set(1);
  metrics.add_sampler([&pool, in_use, capacity, high, bytes, waits, allocated] {
    in_use.set(static_cast<double>(pool.in_use()));
    capacity.set(static_cast<double>(pool.capacity()));
    high.set(static_cast<double>(pool.high_water()));
    bytes.set(static_cast<double>(pool.chunk_bytes()));
    waits.set(static_cast<double>(pool.waits()));
    allocated.set(static_cast<double>(pool.allocated()));
  });
}

// A running pipeline and the configuration it was built from (kept alive with it).
struct Slot {
  std::shared_ptr<const AgentConfig> config;
  const PipelineConfig* pc = nullptr;
  std::unique_ptr<Pipeline> pipeline;
};

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

// One live line on a terminal: files, lines, MiB/s, bytes left.
void show_progress(const PipelineStats& s, double seconds) {
  const double mib = static_cast<double>(s.bytes_read) / (1024.0 * 1024.0);
  std::fprintf(stderr, "\rlogagent: %zu files, %llu lines, %.0f MiB/s, %.1f MiB left   ", s.files,
               static_cast<unsigned long long>(s.lines_read), seconds > 0 ? mib / seconds : 0.0,
               static_cast<double>(s.bytes_behind) / (1024.0 * 1024.0));
}

bool all_done(const std::vector<Slot>& slots) {
  for (const auto& slot : slots) {
    if (!slot.pipeline->input_finished() || !slot.pipeline->settled()) return false;
  }
  return true;
}

// What the HTTP threads may read, published by the supervisor thread.
class Health {
 public:
  void publish(bool ready, std::string detail) {
    std::lock_guard lock(mu_);
    ready_ = ready;
    detail_ = std::move(detail);
  }
  HttpResponse ready() const {
    std::lock_guard lock(mu_);
    return {ready_ ? 200 : 503, "text/plain; charset=utf-8", detail_};
  }
  void beat() { beat_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed); }
  HttpResponse alive() const {
    const auto last = Clock::time_point(Clock::duration(beat_.load(std::memory_order_relaxed)));
    const double age = std::chrono::duration<double>(Clock::now() - last).count();
    if (age > 30) {
      return {503, "text/plain; charset=utf-8",
              fmt::format("supervisor loop stalled for {:.0f} s\n", age)};
    }
    return {200, "text/plain; charset=utf-8", "ok\n"};
  }

 private:
  mutable std::mutex mu_;
  bool ready_ = false;
  std::string detail_ = "starting\n";
  std::atomic<Clock::rep> beat_{Clock::now().time_since_epoch().count()};
};

// Reload requests from HTTP: a ticket, SIGHUP to wake the supervisor, then wait for the result.
class ReloadChannel {
 public:
  HttpResponse request() {
    std::unique_lock lock(mu_);
    const uint64_t ticket = ++requested_;
    lock.unlock();
    ::kill(::getpid(), SIGHUP);
    lock.lock();
    if (!cv_.wait_for(lock, std::chrono::seconds(120), [&] { return done_ >= ticket; })) {
      return {503, "text/plain; charset=utf-8", "reload still in progress\n"};
    }
    return result_;
  }
  // The supervisor finished a reload (whatever triggered it): answer every waiting request.
  void complete(HttpResponse result) {
    std::lock_guard lock(mu_);
    done_ = requested_;
    result_ = std::move(result);
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t requested_ = 0;
  uint64_t done_ = 0;
  HttpResponse result_;
};

class Supervisor {
 public:
  Supervisor(const AgentConfig& config, const RunOptions& options)
      : config_(std::make_shared<const AgentConfig>(config)),
        options_(options),
        metrics_(std::make_shared<MetricsRegistry>()),
        pool_(config.buffer_pool.bytes, config.chunk_size.bytes),
        heap_trimmer_(*metrics_) {
    register_agent_metrics(*metrics_, pool_);
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
  HttpResponse reload();
  void publish_health();

  std::shared_ptr<const AgentConfig> config_;
  const RunOptions options_;
  std::shared_ptr<MetricsRegistry> metrics_;
  BufferPool pool_;
  std::vector<Slot> slots_;
  HeapTrimmer heap_trimmer_;  // keeps RSS following the live heap (see agent/supervisor/heap.h)
  Health health_;
  ReloadChannel reloads_;
  // Set by a reload a SIGTERM or SIGINT interrupted: the deadline its drains had, which the stop
  // that follows keeps (the agent stops within one shutdown_timeout of the signal).
  std::optional<Clock::time_point> stop_by_;
  HttpServer http_;  // last: stopped first, while what its handlers use still exists
};

Status Supervisor::start_http() {
  if (config_->metrics_listen.empty()) return Status::ok();
  http_.route("GET", "/metrics", [this](const std::string&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_->render()};
  });
  http_.route("GET", "/healthz", [this](const std::string&) { return health_.alive(); });
  http_.route("GET", "/ready", [this](const std::string&) { return health_.ready(); });
  http_.route("POST", "/-/reload", [this](const std::string&) { return reloads_.request(); });
  return http_.start(config_->metrics_listen);
}

void Supervisor::publish_health() {
  bool ready = true;
  std::string detail;
  for (const auto& slot : slots_) {
    const std::string why = slot.pipeline->not_ready();
    ready = ready && why.empty();
    detail += "pipeline " + slot.pipeline->name() + ": " + (why.empty() ? "ready" : why) + "\n";
  }
  health_.publish(ready && !slots_.empty(), detail.empty() ? "no pipelines\n" : detail);
}

int Supervisor::run() {
  if (Status st = start_http(); !st) {
    spdlog::error("{}", st.message());
    return 1;
  }
  for (const auto& pc : config_->pipelines) {
    auto p = make_pipeline(*config_, pc);
    if (!p) {
      spdlog::error("pipeline {}: {}", pc.name, p.message());
      return 1;
    }
    slots_.push_back({config_, &pc, std::move(p.value())});
  }
  for (auto& slot : slots_) {
    if (Status st = slot.pipeline->start(); !st) {
      spdlog::error("pipeline {}: {}", slot.pipeline->name(), st.message());
      for (auto& other : slots_) other.pipeline->shutdown(Clock::now());
      return 1;
    }
  }
  spdlog::info("logagent {} running {} pipeline(s); buffer pool {} x {} KiB", LOGAGENT_VERSION,
               slots_.size(), pool_.capacity(), pool_.chunk_bytes() / 1024);
  sd_notify_state(fmt::format("READY=1\nSTATUS=running {} pipeline(s)", slots_.size()));

  const sigset_t signals = control_signals();
  const auto started = Clock::now();
  const bool progress = options_.once && ::isatty(STDERR_FILENO) != 0;
  // --once polls for completion often; a live agent only needs to notice signals.
  const timespec tick{0, (options_.once ? 5 : 200) * 1000 * 1000};
  for (;;) {
    health_.beat();
    publish_health();
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("signal {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    if (sig == SIGHUP) {
      HttpResponse reply = reload();
      publish_health();  // /ready tells the new state as soon as the reload is answered
      reloads_.complete(std::move(reply));
    }
    if (options_.once && all_done(slots_)) break;
    if (const auto now = Clock::now(); !options_.once && heap_trimmer_.due(now)) {
      pool_.shrink();  // a past burst's buffers first, then what malloc holds
      heap_trimmer_.trim(now);
    }
    if (progress) {
      show_progress(total_stats(slots_),
                    std::chrono::duration<double>(Clock::now() - started).count());
    }
  }

  sd_notify_state("STOPPING=1");
  health_.publish(false, "stopping\n");
  auto deadline = Clock::now() + config_->shutdown_timeout.value;
  if (stop_by_) deadline = std::min(deadline, *stop_by_);
  std::vector<std::string> unsaved;
  for (auto& slot : slots_) {
    if (!slot.pipeline->shutdown(deadline)) unsaved.push_back(slot.pipeline->name());
  }
  int code = 0;
  if (options_.once) {
    const PipelineStats s = total_stats(slots_);
    const double secs = std::chrono::duration<double>(Clock::now() - started).count();
    if (progress) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr,
                 "logagent: done: %llu lines, %llu bytes read, %llu acknowledged, %llu failed, "
                 "%.2f s\n",
                 static_cast<unsigned long long>(s.lines_read),
                 static_cast<unsigned long long>(s.bytes_read),
                 static_cast<unsigned long long>(s.events_acked),
                 static_cast<unsigned long long>(s.events_failed), secs);
    // A script must know: every run after a failed one would resend (or miss) the same lines.
    if (s.events_failed > 0) {
      std::fprintf(stderr, "logagent: %llu events failed to be delivered; exit status 3\n",
                   static_cast<unsigned long long>(s.events_failed));
      code = 3;
    }
    if (s.events_acked + s.events_failed < s.lines_read) {
      std::fprintf(
          stderr,
          "logagent: %llu events were not acknowledged by the shutdown deadline; exit "
          "status 3\n",
          static_cast<unsigned long long>(s.lines_read - s.events_acked - s.events_failed));
      code = 3;
    }
    for (const std::string& u : s.unread) {
      std::fprintf(stderr, "logagent: not read: %s; exit status 3\n", u.c_str());
      code = 3;
    }
    for (const std::string& name : unsaved) {
      std::fprintf(stderr,
                   "logagent: pipeline %s: the checkpoint could not be written: the next run "
                   "reads the same lines again; exit status 3\n",
                   name.c_str());
      code = 3;
    }
  }
  http_.stop();
  slots_.clear();
  return code;
}

HttpResponse Supervisor::reload() {
  const auto text = [](int status, std::string body) {
    return HttpResponse{status, "text/plain; charset=utf-8", std::move(body)};
  };
  if (options_.registry == nullptr || options_.config_path.empty()) {
    spdlog::warn("reload requested: not available in this mode; ignored");
    return text(400, "reload is not available\n");
  }
  if (stop_pending()) return text(503, "reload not started: the agent is stopping\n");
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
    return text(400, body);
  }
  AgentConfig proposed = std::move(*loaded);
  const bool restart_needed = proposed.data_dir != config_->data_dir ||
                              proposed.metrics_listen != config_->metrics_listen ||
                              proposed.buffer_pool.bytes != config_->buffer_pool.bytes ||
                              proposed.chunk_size.bytes != config_->chunk_size.bytes;
  // Kept as they are for every pipeline, restarted ones included: a pipeline must never move
  // to another data_dir (and read everything again) behind the agent's back.
  proposed.data_dir = config_->data_dir;
  proposed.metrics_listen = config_->metrics_listen;
  proposed.metrics_allow_remote = config_->metrics_allow_remote;
  proposed.buffer_pool = config_->buffer_pool;
  proposed.chunk_size = config_->chunk_size;
  auto next = std::make_shared<const AgentConfig>(std::move(proposed));
  std::string report;
  auto note = [&](const std::string& line) {
    spdlog::info("reload: {}", line);
    report += line + "\n";
  };
  const AgentConfig& cur = *config_;
  if (restart_needed) {
    spdlog::warn("reload: data_dir, metrics.listen and memory changes need a restart; kept");
    report += "warning: data_dir, metrics.listen and memory changes need a restart; kept\n";
  }
  // Inherited settings also count as a change of every pipeline.
  const bool inherited_changed = next->checkpoint_interval.value != cur.checkpoint_interval.value ||
                                 next->shutdown_timeout.value != cur.shutdown_timeout.value;
  // One deadline for every drain of this reload, as for a stop: a reload takes at most one
  // shutdown_timeout however many pipelines it restarts.
  const auto drain_by = Clock::now() + cur.shutdown_timeout.value;

  std::vector<Slot> kept;
  bool failed = false;
  bool interrupted = false;
  for (const auto& pc : next->pipelines) {
    if ((interrupted = stop_pending())) break;
    auto old = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
      return s.pipeline && s.pipeline->name() == pc.name;
    });
    if (old != slots_.end() && !inherited_changed && old->pc->fingerprint == pc.fingerprint &&
        old->pipeline->running()) {
      kept.push_back(std::move(*old));  // unchanged: keeps running untouched
      continue;
    }
    // Build first: if the new pipeline cannot be built, the old one keeps running.
    auto made = make_pipeline(*next, pc);
    if (!made) {
      failed = true;
      spdlog::error("reload: pipeline {}: {}", pc.name, made.message());
      report += "error: pipeline " + pc.name + ": " + made.message() + "\n";
      if (old != slots_.end()) kept.push_back(std::move(*old));
      continue;
    }
    if (old != slots_.end()) {
      old->pipeline->shutdown(drain_by);
      old->pipeline.reset();
    }
    // Stopping now: the new pipeline never starts (and writes no checkpoint).
    if ((interrupted = stop_pending())) break;
    if (Status st = made.value()->start(); !st) {
      // Kept, stopped: /ready answers 503 naming it, and the next reload tries again. Having
      // never started, it writes no checkpoint: its file keeps what the old pipeline saved.
      failed = true;
      spdlog::error("reload: pipeline {}: {}; it stays stopped until a reload starts it", pc.name,
                    st.message());
      report += "error: pipeline " + pc.name + ": " + st.message() + "\n";
      kept.push_back({next, &pc, std::move(made.value())});
      continue;
    }
    note(std::string(old != slots_.end() ? "restarted" : "started") + " pipeline " + pc.name);
    kept.push_back({next, &pc, std::move(made.value())});
  }
  if (interrupted) {
    // The rest stays as it was, for the stop to drain by the same deadline.
    for (auto& slot : slots_) {
      if (slot.pipeline) kept.push_back(std::move(slot));
    }
    slots_ = std::move(kept);
    stop_by_ = drain_by;
    spdlog::warn("reload: interrupted by a stop signal; stopping");
    return text(503, report + "reload interrupted: the agent is stopping\n");
  }
  for (auto& slot : slots_) {
    if (!slot.pipeline) continue;  // restarted or kept above
    note("stopping pipeline " + slot.pipeline->name() + " (no longer configured)");
    slot.pipeline->shutdown(drain_by);
  }
  if (stop_pending()) stop_by_ = drain_by;  // it came during these last drains
  slots_ = std::move(kept);
  config_ = next;
  const size_t unchanged =
      std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.config != next; });
  note(fmt::format("done: {} pipeline(s) running, {} unchanged", slots_.size(), unchanged));
  sd_notify_state(fmt::format("READY=1\nSTATUS=running {} pipeline(s)", slots_.size()));
  return text(failed ? 500 : 200, report);
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
