#include "plugins/inputs/tail/tail_input.h"

#include <limits.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <stop_token>

#include "plugins/common/chunk_cursor.h"
#include "plugins/inputs/tail/discovery.h"
#include "plugins/inputs/tail/file_reader.h"
#include "plugins/inputs/tail/file_tracker.h"
#include "plugins/inputs/tail/inotify_watcher.h"
#include "plugins/inputs/tail/kubernetes_api.h"
#include "plugins/inputs/tail/kubernetes_fields.h"
#include "plugins/inputs/tail/read_limits.h"

namespace logagent::plugins::tail {
namespace {

std::string current_dir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof(buf)) != nullptr ? std::string(buf) : std::string(".");
}

}  // namespace

Result<std::unique_ptr<Input>> TailInput::create(const Options& options, const PluginContext& ctx) {
  if (options.paths.empty()) return Status::error("tail: 'paths' is empty");
  if (options.max_line_bytes.bytes < TailOptions::kMinLineBytes) {
    return Status::error("tail: 'max_line_bytes' must be at least 1KiB");
  }
  std::unique_ptr<TailInput> input(new TailInput(options, ctx, current_dir()));
  MultilineOptions& ml = input->options_.multiline;
  if (ml.configured() && !ml.enabled()) {  // built in code rather than bound from YAML
    if (Status st = ml.compile(); !st) return Status::error("tail: multiline: " + st.message());
  }
  return std::unique_ptr<Input>(std::move(input));
}

namespace {

// The kubernetes namespace/pod filter as the scanner's path filter (none when it filters
// nothing).
PathScanner::PathFilter path_filter(const TailOptions& options) {
  if (!options.kubernetes.filters()) return {};
  return [k = options.kubernetes](std::string_view path) { return k.admits(path); };
}

}  // namespace

bool TailInput::reads(const Options& options, const std::string& path) {
  return PathScanner(options.paths, options.exclude, current_dir(), path_filter(options))
      .matches(path);
}

namespace {

// The configured excludes plus what the agent writes itself: never read (never a loop).
std::vector<std::string> excludes_with(const std::vector<std::string>& exclude,
                                       const std::vector<std::string>& agent_outputs) {
  std::vector<std::string> out = exclude;
  out.insert(out.end(), agent_outputs.begin(), agent_outputs.end());
  return out;
}

}  // namespace

TailInput::TailInput(const Options& options, const PluginContext& ctx, const std::string& cwd)
    : options_(options),
      pipeline_(ctx.pipeline),
      scanner_(options.paths, excludes_with(options.exclude, ctx.agent_outputs), cwd,
               path_filter(options)),
      metrics_(ctx.metrics),
      metrics_scope_(ctx.metrics) {}

std::vector<OptionWarning> TailInput::pool_warnings(const Options& options,
                                                    const PoolSettings& pool) {
  return read_limits(options, PoolShape::of_budget(pool.buffer_pool, pool.chunk_size)).warnings;
}

size_t TailInput::fit_max_line(size_t max_line_bytes, const BufferPool& pool) {
  return tail::fit_max_line(max_line_bytes, PoolShape::of(pool));
}

void TailInput::run(InputContext& ctx) {
  const ReadLimits limits = read_limits(options_, PoolShape::of(ctx.pool()));
  for (const OptionWarning& w : limits.warnings) {
    spdlog::warn("pipeline {}: tail: {}", pipeline_, w.message);
  }
  InotifyWatcher watcher(!ctx.once());
  metrics_.inotify_fallback.set(!ctx.once() && watcher.polling() ? 1 : 0);
  ChunkCursor chunk(ctx.pool(), ctx.stop_token());
  ReadEnv env{ctx,
              chunk,
              metrics_,
              limits.max_line,
              std::min<size_t>(16 * 1024, ctx.pool().chunk_bytes() / 4),
              ctx.once(),
              ctx.once() && options_.once_emits_partial()};
  env.max_buffer = limits.max_buffer;
  // The pods' labels and annotations (kubernetes.api): watched for as long as run() runs.
  std::unique_ptr<KubernetesApi> api;
  if (options_.kubernetes.enabled && options_.kubernetes.api.enabled) {
    api =
        KubernetesApi::start(options_.kubernetes.api, pipeline_, metrics_scope_, ctx.stop_token());
  }
  if (options_.kubernetes.enabled) {
    // Pointers, not copies: ReadEnv is copied now and then (a file's last flush), and the
    // options and the cache outlive every reader of run().
    env.source_fields = [keys = &options_.kubernetes.fields,
                         pods = api ? &api->cache() : nullptr](const std::string& path) {
      return kubernetes_source_fields(path, *keys, pods);
    };
  }
  std::optional<MultilineEnv> multiline;
  if (options_.multiline.enabled()) {
    const MultilineOptions& ml = options_.multiline;
    multiline.emplace(MultilineEnv{MultilineJoiner(ml.rules, ml.limits()), ns(ml.flush_after), {}});
    env.multiline = &*multiline;
  }
  FileTracker tracker(options_, scanner_, watcher, metrics_);
  std::stop_callback wake(ctx.stop_token(), [&watcher] { watcher.wake(); });
  tracker.start(env);
  if (ctx.once()) {
    bool stopped = false;
    for (;;) {
      while (tracker.read_round(env, &stopped) && !stopped) {
      }
      if (stopped || tracker.unopened().empty()) break;
      // Some files could not be opened (EMFILE: too many at once): the finished ones give their
      // descriptors back and the scan tries again, for as long as that opens more of them.
      const size_t before = tracker.unopened().size();
      tracker.close_finished();
      tracker.rescan(env);
      if (tracker.unopened().size() >= before) break;
    }
    if (!stopped) tracker.finish_drains(env);
    for (const auto& [path, err] : tracker.unopened()) {
      ctx.unread(path, std::string("cannot open: ") + ::strerror(err));
    }
  } else {
    follow(env, tracker, watcher);
  }
  chunk.release();
  metrics_.files_open.set(0);
  metrics_.files_watched.set(0);  // nothing updates either once the input is gone
}

void TailInput::follow(ReadEnv& env, FileTracker& tracker, InotifyWatcher& watcher) {
  const std::stop_token stop = env.ctx.stop_token();
  Discovery discovery(options_, scanner_, watcher, metrics_, tracker.budget(), pipeline_);
  discovery.seed(tracker.identities());
  tracker.set_discovery(&discovery);
  std::stop_callback wake(stop, [&discovery] { discovery.wake_reader(); });
  discovery.start();
  int64_t next_poll = mono_now_ns() + ns(options_.poll_interval);
  // Drains finished, idle files closed, caps enforced: after each rescan the tracker is given,
  // and each scan_interval whether or not one came (discovery keeps unchanged rescans to itself).
  int64_t next_maintain = mono_now_ns() + ns(options_.scan_interval);
  int64_t idle_since = 0;
  uint64_t overflows_counted = 0;
  DiscoveryUpdate update;
  while (!stop.stop_requested()) {
    // inotify may fall back to polling at any time (a watch limit hit by a new directory).
    env.metrics.inotify_fallback.set(watcher.polling() ? 1 : 0);
    if (watcher.overflows() != overflows_counted) {
      env.metrics.inotify_overflows.add(
          static_cast<double>(watcher.overflows() - overflows_counted));
      overflows_counted = watcher.overflows();
    }
    bool stopped = false;
    bool progressed = tracker.read_round(env, &stopped);
    if (stopped) break;
    int64_t now = mono_now_ns();
    if (tracker.flush_idle(env, now, &stopped)) progressed = true;
    if (stopped) break;
    if (progressed) {
      idle_since = 0;
      discovery.take(&update);
    } else {
      // Idle. Keep a partly filled chunk across short pauses, so a trickle of small writes shares
      // one chunk instead of pinning a chunk per wake-up; after kChunkIdleRelease give it back
      // so the pool's in_use returns to 0. Discovery wakes this wait when it found something.
      if (idle_since == 0) idle_since = now;
      int64_t until = now + ns(options_.scan_interval);
      if (env.chunk.capacity() > 0) {
        if (now - idle_since >= ns(kChunkIdleRelease)) {
          env.chunk.release();
        } else {
          until = std::min(until, idle_since + ns(kChunkIdleRelease));
        }
      }
      if (watcher.polling() || tracker.has_draining()) until = std::min(until, next_poll);
      until = std::min(until, tracker.next_flush(env));  // multiline flush_after
      discovery.wait(until, &update);
      now = mono_now_ns();
    }
    if (now >= next_poll) {
      if (watcher.polling()) tracker.mark_all();
      next_poll = now + ns(options_.poll_interval);
    }
    bool scanned = false;
    if (!update.empty() && !stop.stop_requested()) {
      scanned = update.scanned;
      tracker.apply(env, update);
    }
    update.clear();
    if ((scanned || now >= next_maintain) && !stop.stop_requested()) {
      tracker.maintain(env, now);
      next_maintain = now + ns(options_.scan_interval);
    }
  }
  tracker.set_discovery(nullptr);
  discovery.stop();
}

}  // namespace logagent::plugins::tail
