#include "agent/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace logagent {
namespace {

double boot_time_seconds() {
  std::ifstream f("/proc/stat");
  std::string key;
  double value = 0;
  while (f >> key) {
    if (key == "btime") {
      f >> value;
      return value;
    }
    f.ignore(1 << 20, '\n');
  }
  return 0;
}

double count_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  double n = 0;
  while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n - 1;  // the descriptor opendir itself holds
}

}  // namespace

bool read_process_sample(ProcessSample& out) {
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  // Field 2 (comm) may hold spaces and parentheses: parse after its last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(line.substr(close + 2));
  std::string field[50];
  for (int i = 3; i <= 24 && in >> field[i]; ++i) {
  }
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  try {
    out.cpu_seconds = (std::stod(field[14]) + std::stod(field[15])) / tick;
    out.threads = std::stod(field[20]);
    out.start_time_seconds = boot_time_seconds() + std::stod(field[22]) / tick;
    out.vsize_bytes = std::stod(field[23]);
    out.rss_bytes = std::stod(field[24]) * page;
  } catch (const std::exception&) {
    return false;
  }
  out.open_fds = count_fds();
  rlimit rl{};
  out.max_fds = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 ? static_cast<double>(rl.rlim_cur) : 0;
  return true;
}

void register_process_metrics(MetricsRegistry& metrics) {
  Counter cpu(metrics.counter(kProcessCpuSeconds, {}));
  Gauge rss(metrics.gauge(kProcessResidentMemory, {}));
  Gauge vsize(metrics.gauge(kProcessVirtualMemory, {}));
  Gauge threads(metrics.gauge(kProcessThreads, {}));
  Gauge start(metrics.gauge(kProcessStartTime, {}));
  Gauge fds(metrics.gauge(kProcessOpenFds, {}));
  Gauge max_fds(metrics.gauge(kProcessMaxFds, {}));
  auto last_cpu = std::make_shared<double>(0);
  metrics.add_sampler([=] {
    ProcessSample s;
    if (!read_process_sample(s)) return;
    // A counter only goes up: add what was spent since the last scrape.
    if (s.cpu_seconds > *last_cpu) cpu.add(s.cpu_seconds - *last_cpu);
    *last_cpu = std::max(*last_cpu, s.cpu_seconds);
    rss.set(s.rss_bytes);
    vsize.set(s.vsize_bytes);
    threads.set(s.threads);
    start.set(s.start_time_seconds);
    fds.set(s.open_fds);
    max_fds.set(s.max_fds);
  });
}

}  // namespace logagent
