#include "agent/supervisor/tap_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>

#include "agent/codec/json_string.h"
#include "agent/metrics/metrics_registry.h"

namespace logagent {
namespace {

using Clock = std::chrono::steady_clock;

HttpResponse text(int status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", "tap: " + std::move(body) + "\n"};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "a%20b+c" → "a b c".
std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    const size_t eq = pair.find('=');
    out[url_decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
  }
  return out;
}

template <class T>
std::optional<T> number(const std::string& s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "1: json, 2: add_fields" or "none".
std::string stage_list(const TapHub& hub) {
  std::string out;
  for (size_t i = 0; i < hub.stage_labels().size(); ++i) {
    out += fmt::format("{}{}: {}", out.empty() ? "" : ", ", i + 1, hub.stage_labels()[i]);
  }
  return out.empty() ? "none" : out;
}

std::string json_text(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

size_t count_lines(std::string_view s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// `limits` from the query's rate and limit; an error reply when one is bad.
std::optional<HttpResponse> parse_limits(std::map<std::string, std::string>& q, TapLimits& limits) {
  limits.rate = TapService::kDefaultRate;
  if (!q["rate"].empty()) {
    const auto rate = number<double>(q["rate"]);
    if (!rate || !(*rate > 0) || *rate > TapService::kMaxRate)
      return text(400, fmt::format("rate must be a number in (0, {}]", TapService::kMaxRate));
    limits.rate = *rate;
  }
  if (!q["limit"].empty()) {
    const auto limit = number<uint64_t>(q["limit"]);
    if (!limit) return text(400, "limit must be a whole number");
    limits.limit = *limit;
  }
  return std::nullopt;
}

}  // namespace

// An admitted tap: attached to its hub and listed by the service until destroyed.
struct TapService::Attached {
  TapService& service;
  TapHub& hub;
  std::shared_ptr<TapSession> session;
  ~Attached() {
    hub.detach(session, "client gone");
    std::lock_guard lock(service.mu_);
    auto& v = service.sessions_;
    v.erase(std::remove(v.begin(), v.end(), session), v.end());
  }
};

TapService::TapService(std::shared_ptr<MetricsRegistry> metrics)
    : metrics_(std::move(metrics)), scope_(metrics_, {}) {
  if (metrics_ == nullptr) return;
  const Gauge attached = scope_.gauge(kTapSessions);
  const Gauge buffered = scope_.gauge(kTapBufferedBytes);
  sampler_ = metrics_->add_sampler([this, attached, buffered] {
    std::lock_guard lock(mu_);
    size_t bytes = 0;
    for (const auto& s : sessions_) bytes += s->buffered_bytes();
    attached.set(static_cast<double>(sessions_.size()));
    buffered.set(static_cast<double>(bytes));
  });
}

TapService::~TapService() {
  if (metrics_ != nullptr) metrics_->remove_sampler(sampler_);
}

void TapService::publish(std::map<std::string, std::shared_ptr<TapHub>> hubs) {
  std::lock_guard lock(mu_);
  hubs_ = std::move(hubs);
}

void TapService::stop_all() {
  std::map<std::string, std::shared_ptr<TapHub>> hubs;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    hubs.swap(hubs_);
  }
  for (auto& [name, hub] : hubs) hub->close("agent stopping");
}

void TapService::serve(const HttpRequest& request, HttpStream& out) {
  if (!is_loopback_address(request.remote_addr)) {
    return out.reply(text(403, "refused: " + request.remote_addr +
                                   " is not a loopback address (tap output is log content; it is "
                                   "served to local clients only, whatever metrics.allow_remote "
                                   "says)"));
  }
  auto q = parse_query(request.query);
  const std::string name = q["pipeline"];
  TapLimits limits;
  if (auto bad = parse_limits(q, limits)) return out.reply(*bad);
  std::shared_ptr<TapHub> hub;
  std::unique_ptr<Attached> attached;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return out.reply(text(503, "the agent is stopping"));
    auto it = hubs_.find(name);
    if (it == hubs_.end()) {
      std::string names;
      for (const auto& [n, h] : hubs_) names += (names.empty() ? "" : ", ") + n;
      return out.reply(text(404, fmt::format("unknown pipeline '{}'; running pipelines: {}", name,
                                             names.empty() ? "none" : names)));
    }
    hub = it->second;
    size_t point = hub->points() - 1;
    if (!q["stage"].empty()) {
      const auto stage = number<size_t>(q["stage"]);
      if (!stage || *stage >= hub->points()) {
        return out.reply(
            text(400, fmt::format("pipeline '{}' has no stage {}; its stages: {} "
                                  "(--stage takes 0, before the first, to {})",
                                  name, q["stage"], stage_list(*hub), hub->points() - 1)));
      }
      point = *stage;
    }
    if (sessions_.size() >= kMaxTaps) {
      return out.reply(
          text(503, fmt::format("{} taps are attached already (the most at once); try again later",
                                kMaxTaps)));
    }
    auto session = hub->attach(point, limits);
    if (!session) {
      return out.reply(text(
          503,
          fmt::format("pipeline '{}': {}; try again", name,
                      session.message() == "pipeline stopped" ? "restarting" : session.message())));
    }
    sessions_.push_back(*session);
    attached.reset(new Attached{*this, *hub, *session});
  }
  stream(name, *hub, attached->session, out);
}

void TapService::stream(const std::string& pipeline, TapHub& hub,
                        const std::shared_ptr<TapSession>& s, HttpStream& out) {
  const size_t point = s->point();
  const std::string after = point == 0 ? "input" : hub.stage_labels()[point - 1];
  if (!out.begin("application/x-ndjson") ||
      !out.write(fmt::format("{{\"tap_start\":{{\"pipeline\":{},\"stage\":{},\"after\":{}}}}}\n",
                             json_text(pipeline), point, json_text(after)))) {
    return;
  }
  const Counter sent_total = scope_.counter(kTapEvents, {{"pipeline", pipeline}});
  const Counter dropped_total = scope_.counter(kTapDropped, {{"pipeline", pipeline}});
  std::string chunk;
  uint64_t sent = 0;
  uint64_t dropped = 0;  // counted in dropped_total so far
  bool client_gone = false;
  auto last_write = Clock::now();
  const auto idle = std::chrono::milliseconds(idle_write_ms_);
  for (;;) {
    const bool more = s->take(chunk, std::min(idle, std::chrono::milliseconds(250)));
    if (!chunk.empty()) {
      if (!out.write(chunk)) {
        client_gone = true;
        break;
      }
      const size_t n = count_lines(chunk);
      sent += n;
      sent_total.add(static_cast<double>(n));
      last_write = Clock::now();
    }
    if (!more) break;
    // Counted as they happen, not at the end: a stalled client's drops show while it stalls.
    if (const uint64_t now_dropped = s->counts().dropped; now_dropped > dropped) {
      dropped_total.add(static_cast<double>(now_dropped - dropped));
      dropped = now_dropped;
    }
    if (Clock::now() - last_write >= idle) {
      if (!out.write("\n")) {
        client_gone = true;
        break;
      }
      last_write = Clock::now();
    }
  }
  const TapCounts c = s->counts();
  if (c.dropped > dropped) dropped_total.add(static_cast<double>(c.dropped - dropped));
  if (client_gone) return;
  std::string reason = s->reason();
  if (reason.empty()) reason = "limit reached";
  out.write(fmt::format(
      "{{\"tap_end\":{{\"reason\":{},\"seen\":{},\"sent\":{},\"skipped\":{},\"dropped\":{}}}}}\n",
      json_text(reason), c.seen, sent, c.skipped, c.dropped));
}

}  // namespace logagent
