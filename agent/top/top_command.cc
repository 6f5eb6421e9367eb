#include "agent/top/top_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "agent/top/prom_text.h"
#include "agent/top/terminal.h"
#include "agent/top/top_model.h"
#include "agent/top/top_render.h"

namespace logagent::top {

namespace {

using Clock = std::chrono::steady_clock;

struct Scrape {
  TopSnapshot snapshot;
  Clock::time_point at;
};

Result<Scrape> scrape(const TopOptions& o) {
  const auto at = Clock::now();
  auto body = http_get(o.url, o.timeout);
  if (!body) return body.status();
  return Scrape{snapshot_of(parse_prom_text(*body)), at};
}

double seconds_between(const Scrape& a, const Scrape& b) {
  return std::chrono::duration<double>(b.at - a.at).count();
}

int print_unreachable(const TopOptions& o, const std::string& why) {
  std::fprintf(stderr,
               "logagent top: cannot read the agent's metrics: %s\n"
               "  (is the agent running, and is %s its metrics.listen? see -c and --url)\n",
               why.c_str(), o.url.to_string().c_str());
  return 1;
}

int run_once(const TopOptions& o) {
  auto table = once_table(o);
  if (!table) return print_unreachable(o, table.message());
  for (const std::string& line : *table) std::printf("%s\n", line.c_str());
  return 0;
}

// The live view's state between frames.
struct Live {
  std::optional<Scrape> last;
  TopView view;
  bool have_view = false;
  bool paused = false;
  std::string error;  // of the latest scrape, "" when it worked
};

void refresh(const TopOptions& o, Live& live) {
  auto now = scrape(o);
  if (!now) {
    live.error = now.message();
    return;
  }
  live.error.clear();
  if (live.last) {
    live.view = top_rates(live.last->snapshot, now->snapshot, seconds_between(*live.last, *now));
    live.have_view = true;
  }
  live.last = std::move(*now);
}

void draw(const TopOptions& o, const Live& live, const Terminal& term) {
  const int width = term.columns();
  std::string status =
      fmt::format("logagent top  {}  every {:.1f} s  pool {:.0f}/{:.0f}", o.url.to_string(),
                  std::chrono::duration<double>(o.interval).count(), live.view.pool_in_use,
                  live.view.pool_capacity);
  if (live.paused) status += "  [paused]";
  std::vector<std::string> lines;
  if (live.have_view) {
    lines = render_table(live.view, status, width);
  } else {
    lines.push_back(status.substr(0, static_cast<size_t>(width)));
    lines.emplace_back(live.error.empty() ? "collecting..." : "");
  }
  if (!live.error.empty())
    lines.push_back(("error: " + live.error).substr(0, static_cast<size_t>(width)));
  lines.push_back(std::string("q quit  p ") + (live.paused ? "resume" : "pause"));
  std::string frame = "\x1b[H";
  const auto rows = static_cast<size_t>(term.rows());
  for (size_t i = 0; i < lines.size() && i < rows; ++i) {
    frame += lines[i];
    frame += "\x1b[K";
    if (i + 1 < lines.size() && i + 1 < rows) frame += "\r\n";
  }
  frame += "\x1b[J";
  term.write(frame);
}

int run_live(const TopOptions& o) {
  auto opened = Terminal::open();
  if (!opened) {
    std::fprintf(stderr, "logagent top: %s\n", opened.message().c_str());
    return 1;
  }
  Terminal& term = **opened;
  Live live;
  refresh(o, live);
  draw(o, live, term);
  auto next = Clock::now() + o.interval;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
    char key = 0;
    const TerminalEvent event = term.wait(static_cast<int>(std::max<long>(left.count(), 0)), key);
    if (event == TerminalEvent::kQuit ||
        (event == TerminalEvent::kKey && (key == 'q' || key == 'Q'))) {
      break;
    }
    if (event == TerminalEvent::kKey && (key == 'p' || key == 'P')) {
      live.paused = !live.paused;
      if (!live.paused) {  // rates start again from now, not averaged over the pause
        live.last.reset();
        refresh(o, live);
        next = Clock::now() + o.interval;
      }
    }
    if (event == TerminalEvent::kNone && Clock::now() >= next) {
      if (!live.paused) refresh(o, live);
      next = Clock::now() + o.interval;
    }
    draw(o, live, term);
  }
  const int sig = term.quit_signal();
  opened->reset();  // the terminal as it was, before the process ends
  return sig == 0 ? 0 : 128 + sig;
}

}  // namespace

Result<std::vector<std::string>> once_table(const TopOptions& o) {
  auto first = scrape(o);
  if (!first) return first.status();
  std::this_thread::sleep_for(o.interval);
  auto second = scrape(o);
  if (!second) return second.status();
  const double seconds = seconds_between(*first, *second);
  const TopView view = top_rates(first->snapshot, second->snapshot, seconds);
  const std::string status =
      fmt::format("logagent top  {}  over {:.1f} s  pool {:.0f}/{:.0f}", o.url.to_string(), seconds,
                  view.pool_in_use, view.pool_capacity);
  return render_table(view, status, o.once_width);
}

int run_top(const TopOptions& options) {
  return options.once ? run_once(options) : run_live(options);
}

}  // namespace logagent::top
