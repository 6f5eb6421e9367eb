#include "agent/supervisor/supervisor.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "agent/core/buffer_pool.h"
#include "agent/metrics/metrics_registry.h"
#include "agent/pipeline/pipeline.h"
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

void register_agent_metrics(MetricsRegistry& metrics, const BufferPool& pool) {
  MetricsScope scope(nullptr, {});
  Gauge in_use(metrics.gauge("logagent_buffer_pool_in_use",
                             "Pooled buffers checked out (live writers); 0 when idle", {}));
  Gauge capacity(metrics.gauge("logagent_buffer_pool_capacity", "Pooled buffers in total", {}));
  Gauge high(metrics.gauge("logagent_buffer_pool_high_water", "Most buffers ever checked out", {}));
  Gauge bytes(metrics.gauge("logagent_buffer_pool_chunk_bytes", "Bytes per pooled buffer", {}));
  Gauge waits(metrics.gauge("logagent_buffer_pool_waits",
                            "Times a reader waited for a buffer (backpressure)", {}));
  Gauge(metrics.gauge("logagent_build_info", "Build information", {{"version", LOGAGENT_VERSION}}))
      .set(1);
  metrics.add_sampler([&pool, in_use, capacity, high, bytes, waits] {
    in_use.set(static_cast<double>(pool.in_use()));
    capacity.set(static_cast<double>(pool.capacity()));
    high.set(static_cast<double>(pool.high_water()));
    bytes.set(static_cast<double>(pool.chunk_bytes()));
    waits.set(static_cast<double>(pool.waits()));
  });
}

PipelineStats total_stats(const std::vector<std::unique_ptr<Pipeline>>& pipelines) {
  PipelineStats t;
  for (const auto& p : pipelines) {
    const PipelineStats s = p->stats();
    t.lines_read += s.lines_read;
    t.bytes_read += s.bytes_read;
    t.events_acked += s.events_acked;
    t.events_failed += s.events_failed;
    t.bytes_behind += s.bytes_behind;
    t.files += s.files;
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

bool all_done(const std::vector<std::unique_ptr<Pipeline>>& pipelines) {
  for (const auto& p : pipelines) {
    if (!p->input_finished() || !p->settled()) return false;
  }
  return true;
}

}  // namespace

int run_agent(const AgentConfig& config, const RunOptions& options) {
  const sigset_t signals = control_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts
  ::signal(SIGPIPE, SIG_IGN);
  if (::geteuid() == 0) {
    spdlog::warn("running as root; consider a dedicated user with CAP_DAC_READ_SEARCH instead");
  }

  auto metrics = std::make_shared<MetricsRegistry>();
  BufferPool pool(config.buffer_pool.bytes, config.chunk_size.bytes);
  register_agent_metrics(*metrics, pool);
  if (!config.metrics_listen.empty()) {
    if (Status st = metrics->listen(config.metrics_listen); !st) {
      spdlog::error("{}", st.message());
      return 1;
    }
  }

  std::vector<std::unique_ptr<Pipeline>> pipelines;
  for (const auto& pc : config.pipelines) {
    auto p = Pipeline::create(pc, config, pool, metrics, options.once);
    if (!p) {
      spdlog::error("pipeline {}: {}", pc.name, p.message());
      return 1;
    }
    pipelines.push_back(std::move(p.value()));
  }
  for (auto& p : pipelines) {
    if (Status st = p->start(); !st) {
      spdlog::error("pipeline {}: {}", p->name(), st.message());
      for (auto& q : pipelines) q->shutdown(Clock::now());
      return 1;
    }
  }
  spdlog::info("logagent {} running {} pipeline(s); buffer pool {} x {} KiB", LOGAGENT_VERSION,
               pipelines.size(), pool.capacity(), pool.chunk_bytes() / 1024);

  const auto started = Clock::now();
  const bool progress = options.once && ::isatty(STDERR_FILENO) != 0;
  // --once polls for completion often; a live agent only needs to notice signals.
  const timespec tick{0, (options.once ? 5 : 200) * 1000 * 1000};
  for (;;) {
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("signal {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    if (sig == SIGHUP) spdlog::warn("SIGHUP: configuration reload is not supported yet; ignored");
    if (options.once && all_done(pipelines)) break;
    if (progress) {
      show_progress(total_stats(pipelines),
                    std::chrono::duration<double>(Clock::now() - started).count());
    }
  }

  const auto deadline = Clock::now() + config.shutdown_timeout.value;
  for (auto& p : pipelines) p->shutdown(deadline);
  if (options.once) {
    const PipelineStats s = total_stats(pipelines);
    const double secs = std::chrono::duration<double>(Clock::now() - started).count();
    if (progress) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr,
                 "logagent: done: %llu lines, %llu bytes read, %llu acknowledged, %llu failed, "
                 "%.2f s\n",
                 static_cast<unsigned long long>(s.lines_read),
                 static_cast<unsigned long long>(s.bytes_read),
                 static_cast<unsigned long long>(s.events_acked),
                 static_cast<unsigned long long>(s.events_failed), secs);
  }
  pipelines.clear();
  return 0;
}

}  // namespace logagent
