#include "agent/tap/tap_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace logagent::tap {
namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }

// Closes the descriptor it holds.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Why one connection ended.
enum class End { kNone, kLimit, kSignal, kStdoutClosed, kAgentStopping, kPipelineStopped, kError };

struct Totals {
  uint64_t events = 0;   // printed
  uint64_t skipped = 0;  // reported by the agent's tap_end lines
  uint64_t dropped = 0;
};

uint64_t as_count(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

class Connection {
 public:
  Connection(const TapOptions& o, Totals& totals) : o_(o), totals_(totals) {}
  // Streams one response; on kError `error` says why, or `body` holds the agent's answer to a
  // refused request (`status` not 200; 0 when no response came).
  End run(int fd);
  std::string error;
  int status = 0;
  std::string body;

 private:
  End on_line(std::string_view line);
  End head_done();

  const TapOptions& o_;
  Totals& totals_;
  std::string in_;
  bool in_body_ = false;
};

End Connection::head_done() {
  const size_t end = in_.find("\r\n\r\n");
  const std::string head = in_.substr(0, end);
  in_.erase(0, end + 4);
  const size_t sp = head.find(' ');
  status = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
  in_body_ = true;
  return End::kNone;
}

End Connection::on_line(std::string_view line) {
  switch (classify_tap_line(line)) {
    case TapLineKind::kEmpty:
      return End::kNone;
    case TapLineKind::kStart: {
      const std::string stage = tap_line_value(line, "stage");
      std::string where = "events as the input made them";
      if (stage != "0") {
        where = "after ";
        where += tap_line_value(line, "after");
      }
      std::fprintf(stderr, "logagent tap: pipeline %s, %s (stage %s)\n",
                   tap_line_value(line, "pipeline").c_str(), where.c_str(), stage.c_str());
      return End::kNone;
    }
    case TapLineKind::kEnd: {
      totals_.skipped += as_count(tap_line_value(line, "skipped"));
      totals_.dropped += as_count(tap_line_value(line, "dropped"));
      const std::string reason = tap_line_value(line, "reason");
      if (reason == "pipeline stopped") return End::kPipelineStopped;
      if (reason == "agent stopping") return End::kAgentStopping;
      return End::kLimit;
    }
    case TapLineKind::kEvent:
      break;
  }
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() ||
      std::fputc('\n', stdout) == EOF) {
    return End::kStdoutClosed;
  }
  ++totals_.events;
  if (o_.limit != 0 && totals_.events >= o_.limit) return End::kLimit;
  return End::kNone;
}

End Connection::run(int fd) {
  char buf[65536];
  for (;;) {
    if (g_signal != 0) return End::kSignal;
    // stdout too: a pipe whose reader left (`| head -1`) reports POLLERR before any write.
    pollfd p[2] = {{fd, POLLIN, 0}, {STDOUT_FILENO, 0, 0}};
    const int n = ::poll(p, 2, 200);
    if (n < 0 && errno != EINTR) {
      error = std::strerror(errno);
      return End::kError;
    }
    if (n > 0 && (p[1].revents & POLLERR) != 0) return End::kStdoutClosed;
    if (n <= 0 || p[0].revents == 0) continue;
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      error = std::string("recv: ") + std::strerror(errno);
      return End::kError;
    }
    if (got == 0) {  // the agent closed the connection
      if (in_body_ && status != 200) body = in_;
      error = status == 200 || !in_body_ ? "the agent closed the stream" : "";
      return End::kError;
    }
    in_.append(buf, static_cast<size_t>(got));
    if (!in_body_) {
      if (in_.find("\r\n\r\n") == std::string::npos) {
        if (in_.size() > 65536) {
          error = "response head too large";
          return End::kError;
        }
        continue;
      }
      head_done();
    }
    if (status != 200) {
      if (in_.size() > 65536) in_.resize(65536);
      continue;  // the error's body, read to the end
    }
    size_t start = 0;
    for (size_t eol; (eol = in_.find('\n', start)) != std::string::npos; start = eol + 1) {
      const End e = on_line(std::string_view(in_).substr(start, eol - start));
      if (e != End::kNone) {
        std::fflush(stdout);
        return e;
      }
    }
    in_.erase(0, start);
    if (std::fflush(stdout) != 0) return End::kStdoutClosed;
  }
}

void print_summary(const Totals& t) {
  std::fprintf(stderr,
               "logagent tap: %llu event(s); %llu skipped over the rate, %llu dropped (buffer "
               "full)\n",
               static_cast<unsigned long long>(t.events),
               static_cast<unsigned long long>(t.skipped),
               static_cast<unsigned long long>(t.dropped));
}

// One attach: the connection's end, with what went wrong on kError.
End attach_once(const TapOptions& options, Totals& totals, std::string& error, int& status) {
  top::HttpUrl url = options.agent;
  TapOptions rest = options;
  if (options.limit != 0) rest.limit = options.limit - totals.events;
  url.path = tap_path(rest);
  auto fd = top::http_open(url, std::chrono::milliseconds(2000));
  if (!fd) {
    error = fd.message();
    status = 0;
    return End::kError;
  }
  Fd sock{*fd};
  Connection c(options, totals);
  const End e = c.run(sock.fd);
  status = c.status;
  error = c.body.empty() ? c.error : c.body;
  while (!error.empty() && error.back() == '\n') error.pop_back();
  return e;
}

}  // namespace

std::string tap_path(const TapOptions& o) {
  std::string path = "/tap?pipeline=";
  for (const unsigned char c : o.pipeline) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      path += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      path += hex;
    }
  }
  if (o.stage) path += "&stage=" + std::to_string(*o.stage);
  if (o.limit != 0) path += "&limit=" + std::to_string(o.limit);
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", o.rate);
  path += std::string("&rate=") + rate;
  return path;
}

TapLineKind classify_tap_line(std::string_view line) {
  if (line.empty() || line == "\r") return TapLineKind::kEmpty;
  if (line.starts_with("{\"tap_start\":")) return TapLineKind::kStart;
  if (line.starts_with("{\"tap_end\":")) return TapLineKind::kEnd;
  return TapLineKind::kEvent;
}

std::string tap_line_value(std::string_view line, std::string_view key) {
  // Built by appends: g++ 12 -O3 warns (-Wrestrict, falsely) on "literal" + std::string.
  std::string needle = "\"";
  needle += key;
  needle += "\":";
  const size_t at = line.find(needle);
  if (at == std::string_view::npos) return "";
  std::string_view v = line.substr(at + needle.size());
  if (v.starts_with('"')) {
    std::string out;
    for (size_t i = 1; i < v.size() && v[i] != '"'; ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  const size_t end = v.find_first_of(",}");
  return std::string(v.substr(0, end));
}

int run_tap(const TapOptions& options) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a closed stdout is EPIPE from fwrite
  Totals totals;
  bool reattaching = false;
  const auto give_up_at = [] { return Clock::now() + std::chrono::seconds(10); };
  auto deadline = give_up_at();
  for (;;) {
    std::string error;
    int status = 0;
    const End e = attach_once(options, totals, error, status);
    if (e == End::kStdoutClosed) return 0;
    if (e == End::kLimit || e == End::kSignal || e == End::kAgentStopping) {
      if (e == End::kAgentStopping) std::fprintf(stderr, "logagent tap: the agent is stopping\n");
      print_summary(totals);
      return 0;
    }
    if (e == End::kPipelineStopped) {
      std::fprintf(stderr, "logagent tap: pipeline %s stopped (a reload?); attaching again\n",
                   options.pipeline.c_str());
      reattaching = true;
      deadline = give_up_at();
      continue;
    }
    // kError: a restarting pipeline answers 503 for a moment; anything else is final.
    if (reattaching && (status == 503 || status == 0) && Clock::now() < deadline && g_signal == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (g_signal != 0) {
      print_summary(totals);
      return 0;
    }
    if (error.starts_with("tap: ")) error.erase(0, 5);
    std::fprintf(stderr, "logagent tap: %s\n", error.c_str());
    if (totals.events > 0) print_summary(totals);
    return 1;
  }
}

}  // namespace logagent::tap
