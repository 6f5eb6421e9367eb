// TapService: GET /tap on the agent's HTTP listener -- `logagent tap`'s server side. It finds the
// pipeline's TapHub (agent/pipeline/tap_hub.h), attaches a session at the asked point and streams
// its sample to the client as json lines until the limit, the client leaves, or the pipeline stops.
//
// Request: GET /tap?pipeline=NAME[&stage=N][&limit=K][&rate=R]. stage: 0 = as the input made the
// events, N = after the N-th configured stage; default: after the last one (what the sinks get).
// limit: events to send (0 or absent: until the client leaves). rate: events a second, at most
// (default kDefaultRate, at most kMaxRate).
//
// Response: 200 with a body of json lines that ends with the connection: first
// {"tap_start":{...}} (the pipeline, the point, the stage's label), then one event a line (the
// json format of the file sink: each begins with {"time":), an empty line every second of
// silence (so a client that left is noticed), and last {"tap_end":{"reason":...,"seen":N,
// "sent":N,"skipped":N,"dropped":N}} -- skipped: over the rate; dropped: the client's buffer (1
// MiB) was full. Errors before the stream: 403 (the peer is not on loopback: tap output is log
// content, refused to remote peers even with metrics.allow_remote), 404 (unknown pipeline, naming
// those that run), 400 (a bad parameter or a stage out of range, naming the stages), 503 (kMaxTaps
// taps attached already; the pipeline is restarting; the agent is stopping).
//
// Threads: publish() and stop_all() from the supervisor thread; serve() on HTTP worker threads
// (each stream holds one: the server gets kMaxTaps more, so /metrics, /healthz and /ready keep
// two of their own).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/api/metrics.h"
#include "agent/metrics/http_server.h"
#include "agent/pipeline/tap_hub.h"

namespace logagent {

inline constexpr MetricDef kTapSessions{"logagent_tap_sessions", MetricKind::kGauge, "",
                                        "`logagent tap` clients attached now"};
inline constexpr MetricDef kTapBufferedBytes{
    "logagent_tap_buffered_bytes", MetricKind::kGauge, "",
    "Json of sampled events held for tap clients now (at most 1 MiB a client)"};
inline constexpr MetricDef kTapEvents{"logagent_tap_events_total", MetricKind::kCounter, "pipeline",
                                      "Events sent to tap clients"};
inline constexpr MetricDef kTapDropped{
    "logagent_tap_dropped_total", MetricKind::kCounter, "pipeline",
    "Sampled events dropped because a tap client's buffer was full (it read too slowly)"};
inline constexpr MetricDef kTapMetrics[] = {kTapSessions, kTapBufferedBytes, kTapEvents,
                                            kTapDropped};

class TapService {
 public:
  static constexpr size_t kMaxTaps = 4;
  static constexpr double kDefaultRate = 100;
  static constexpr double kMaxRate = 10000;

  // `metrics` may be null (tests).
  explicit TapService(std::shared_ptr<MetricsRegistry> metrics);
  ~TapService();
  TapService(const TapService&) = delete;
  TapService& operator=(const TapService&) = delete;

  // The running pipelines' hubs, by pipeline name.
  void publish(std::map<std::string, std::shared_ptr<TapHub>> hubs);
  // The agent is stopping: every stream ends ("agent stopping"), new ones are refused.
  void stop_all();
  // GET /tap.
  void serve(const HttpRequest& request, HttpStream& stream);
  // How long a stream waits for events before it writes an empty line (tests shorten it).
  void set_idle_write_ms(int ms) { idle_write_ms_ = ms; }

 private:
  struct Attached;
  void stream(const std::string& pipeline, TapHub& hub, const std::shared_ptr<TapSession>& s,
              HttpStream& out);

  std::shared_ptr<MetricsRegistry> metrics_;
  MetricsScope scope_;
  uint64_t sampler_ = 0;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<TapHub>> hubs_;  // guarded by mu_
  std::vector<std::shared_ptr<TapSession>> sessions_;    // guarded by mu_: attached now
  bool stopping_ = false;                                // guarded by mu_
  int idle_write_ms_ = 1000;
};

}  // namespace logagent
