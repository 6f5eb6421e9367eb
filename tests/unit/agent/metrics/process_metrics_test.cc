#include "agent/metrics/process_metrics.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

using namespace logagent;

TEST_CASE("read_process_sample reads this process from /proc/self") {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  ProcessSample s;
  const bool read = read_process_sample(s);
  ::close(fd);
  REQUIRE(read);
  CHECK(s.rss_bytes > 0);
  CHECK(s.vsize_bytes >= s.rss_bytes);
  CHECK(s.threads >= 1);
  CHECK(s.open_fds >= 1);  // at least /dev/null, open while it counted
  CHECK(s.max_fds >= s.open_fds);
  CHECK(s.start_time_seconds > 1.5e9);  // after 2017
  CHECK(s.cpu_seconds >= 0);
}

TEST_CASE("process metrics are exported under the process collector's names and kinds") {
  MetricsRegistry registry;
  register_process_metrics(registry);
  const std::string text = registry.render();
  CHECK(text.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
  for (const MetricDef& d : kProcessMetrics) {
    CAPTURE(d.name);
    CHECK(text.find("# TYPE " + std::string(d.name) + " " + std::string(to_string(d.kind))) !=
          std::string::npos);
  }
  CHECK(text.find("process_resident_memory_bytes 0") == std::string::npos);
  CHECK(registry.declaration_errors().empty());
}

TEST_CASE("the cpu counter only goes up from one scrape to the next") {
  MetricsRegistry registry;
  register_process_metrics(registry);
  registry.render();
  const double first = Counter(registry.counter(kProcessCpuSeconds, {})).value();
  volatile double spin = 0;
  for (int i = 0; i < 2000000; ++i) spin = spin + 1;
  registry.render();
  CHECK(Counter(registry.counter(kProcessCpuSeconds, {})).value() >= first);
}
