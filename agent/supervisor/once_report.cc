#include "agent/supervisor/once_report.h"

#include <cstdio>

namespace logagent {

void show_progress(const PipelineStats& s, double seconds) {
  const double mib = static_cast<double>(s.bytes_read) / (1024.0 * 1024.0);
  std::fprintf(stderr, "\rlogagent: %zu files, %llu lines, %.0f MiB/s, %.1f MiB left   ", s.files,
               static_cast<unsigned long long>(s.lines_read), seconds > 0 ? mib / seconds : 0.0,
               static_cast<double>(s.bytes_behind) / (1024.0 * 1024.0));
}

void clear_progress() { std::fprintf(stderr, "\r\033[K"); }

int report_once(const PipelineStats& s, double seconds, const std::vector<std::string>& unsaved) {
  int code = 0;
  std::fprintf(stderr,
               "logagent: done: %llu lines, %llu bytes read, %llu acknowledged, %llu failed, "
               "%.2f s\n",
               static_cast<unsigned long long>(s.lines_read),
               static_cast<unsigned long long>(s.bytes_read),
               static_cast<unsigned long long>(s.events_acked),
               static_cast<unsigned long long>(s.events_failed), seconds);
  // A script must know: every run after a failed one would resend (or miss) the same lines.
  if (s.events_failed > 0) {
    std::fprintf(stderr, "logagent: %llu events failed to be delivered; exit status 3\n",
                 static_cast<unsigned long long>(s.events_failed));
    code = 3;
  }
  if (s.events_acked + s.events_failed < s.lines_read) {
    std::fprintf(stderr,
                 "logagent: %llu events were not acknowledged by the shutdown deadline; exit "
                 "status 3\n",
                 static_cast<unsigned long long>(s.lines_read - s.events_acked - s.events_failed));
    code = 3;
  }
  for (const std::string& u : s.unread) {
    std::fprintf(stderr, "logagent: not read: %s; exit status 3\n", u.c_str());
    code = 3;
  }
  for (const std::string& name : unsaved) {
    std::fprintf(stderr,
                 "logagent: pipeline %s: the checkpoint could not be written: the next run "
                 "reads the same lines again; exit status 3\n",
                 name.c_str());
    code = 3;
  }
  return code;
}

}  // namespace logagent
