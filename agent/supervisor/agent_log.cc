#include "agent/supervisor/agent_log.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <string_view>

#include "agent/codec/event_encoder.h"

namespace logagent {
namespace {

// {"time":"...","level":"...","msg":"..."} with valid JSON escaping for any bytes.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch()).count();
    std::string line = "{\"time\":\"" + format_rfc3339_us(ns) + "\",\"level\":\"";
    const auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += "\",\"msg\":";
    append_json_string(line, std::string_view(msg.payload.data(), msg.payload.size()));
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Forwards to `inner`, suppressing repeats beyond `burst` per window (see the header).
class RateLimitedSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RateLimitedSink(std::shared_ptr<spdlog::sinks::sink> inner, int burst,
                  std::chrono::milliseconds window)
      : inner_(std::move(inner)), burst_(burst), window_(window) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= window_) roll(now);
    std::string key(spdlog::level::to_string_view(msg.level).data(),
                    spdlog::level::to_string_view(msg.level).size());
    key += '\0';
    key.append(msg.payload.data(), std::min<size_t>(msg.payload.size(), 512));
    Entry& e = seen_[key];
    if (e.count++ < burst_) {
      inner_->log(msg);
      return;
    }
    if (e.suppressed++ == 0) e.level = msg.level;
    if (seen_.size() > kMaxKeys) roll(now);
  }
  void flush_() override { inner_->flush(); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }

 private:
  static constexpr size_t kMaxKeys = 4096;
  struct Entry {
    int count = 0;
    int suppressed = 0;
    spdlog::level::level_enum level = spdlog::level::info;
  };

  void roll(std::chrono::steady_clock::time_point now) {
    for (const auto& [key, e] : seen_) {
      if (e.suppressed == 0) continue;
      const std::string text = "suppressed " + std::to_string(e.suppressed) +
                               " repeats of: " + key.substr(key.find('\0') + 1);
      spdlog::details::log_msg summary(spdlog::source_loc{}, "logagent", e.level, text);
      inner_->log(summary);
    }
    seen_.clear();
    window_start_ = now;
  }

  std::shared_ptr<spdlog::sinks::sink> inner_;
  const int burst_;
  const std::chrono::milliseconds window_;
  std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
  std::map<std::string, Entry> seen_;
};

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

std::shared_ptr<spdlog::logger> make_agent_logger(const AgentLogOptions& options,
                                                  std::shared_ptr<spdlog::sinks::sink> out) {
  if (options.format == LogFormat::kJson) {
    out->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    out->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e%z %l %v"));
  }
  auto limited = std::make_shared<RateLimitedSink>(std::move(out), options.burst, options.window);
  auto logger = std::make_shared<spdlog::logger>("logagent", std::move(limited));
  logger->set_level(spdlog_level(options.level));
  return logger;
}

void setup_agent_log(const AgentLogOptions& options) {
  auto logger = make_agent_logger(options, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  spdlog::set_default_logger(logger);
}

}  // namespace logagent
