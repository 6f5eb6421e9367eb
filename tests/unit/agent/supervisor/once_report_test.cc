#include "agent/supervisor/once_report.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace logagent;

namespace {

// What `f` writes on stderr, and the status it returns.
template <class F>
std::pair<int, std::string> capture_stderr(F f) {
  char path[] = "/tmp/logagent-once-report-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  const int status = f();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string text;
  char buf[4096];
  ssize_t n = 0;
  ::lseek(fd, 0, SEEK_SET);
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  ::unlink(path);
  return {status, text};
}

PipelineStats delivered(uint64_t lines) {
  PipelineStats s;
  s.lines_read = lines;
  s.bytes_read = lines * 10;
  s.events_acked = lines;
  return s;
}

}  // namespace

TEST_CASE("a run that delivered every line reports it and exits 0") {
  auto [status, text] = capture_stderr([] { return report_once(delivered(5), 1.5, {}); });
  CHECK(status == 0);
  CHECK(text == "logagent: done: 5 lines, 50 bytes read, 5 acknowledged, 0 failed, 1.50 s\n");
}

TEST_CASE("failed, unacknowledged, unread and unsaved each make the exit status 3") {
  PipelineStats failed = delivered(5);
  failed.events_acked = 3;
  failed.events_failed = 2;
  auto r = capture_stderr([&] { return report_once(failed, 1, {}); });
  CHECK(r.first == 3);
  CHECK(r.second.find("2 events failed to be delivered; exit status 3") != std::string::npos);

  PipelineStats late = delivered(5);
  late.events_acked = 4;
  r = capture_stderr([&] { return report_once(late, 1, {}); });
  CHECK(r.first == 3);
  CHECK(r.second.find("1 events were not acknowledged by the shutdown deadline") !=
        std::string::npos);

  PipelineStats unread = delivered(0);
  unread.unread = {"app: /var/log/x.log: permission denied"};
  r = capture_stderr([&] { return report_once(unread, 1, {}); });
  CHECK(r.first == 3);
  CHECK(r.second.find("not read: app: /var/log/x.log: permission denied; exit status 3") !=
        std::string::npos);

  r = capture_stderr([&] { return report_once(delivered(1), 1, {"app"}); });
  CHECK(r.first == 3);
  CHECK(r.second.find("pipeline app: the checkpoint could not be written") != std::string::npos);
}

TEST_CASE("the progress line rewrites itself in place and is erased") {
  PipelineStats s = delivered(100);
  s.files = 2;
  s.bytes_read = 3 << 20;
  s.bytes_behind = 1 << 20;
  auto [status, text] = capture_stderr([&] {
    show_progress(s, 2.0);
    clear_progress();
    return 0;
  });
  CHECK(text == "\rlogagent: 2 files, 100 lines, 2 MiB/s, 1.0 MiB left   \r\033[K");
}
