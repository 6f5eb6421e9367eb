#include "plugins/inputs/journald/journald_options.h"

#include <optional>
#include <string>

namespace logagent::plugins::journald {
namespace {

std::optional<std::string> check_source(const JournaldOptions& o) {
  if (!o.directory.empty() && !o.files.empty()) return "set 'directory' or 'files', not both";
  for (const std::string& f : o.files) {
    if (f.empty()) return "'files' must not contain an empty path";
  }
  return std::nullopt;
}

std::optional<std::string> check_matches(const JournaldOptions& o) {
  for (const std::string& m : o.matches) {
    if (!valid_match(m)) {
      return "'matches': '" + m +
             "' is not FIELD=value (FIELD: A-Z, 0-9, _; not starting with a digit)";
    }
  }
  if (o.wait_interval.value.count() <= 0) return "'wait_interval' must be positive";
  return std::nullopt;
}

Schema<JournaldOptions> make_schema() {
  Schema<JournaldOptions> s;
  s.field("directory", &JournaldOptions::directory,
          "A directory of journal files to read (e.g. a host's /var/log/journal mounted in a "
          "container). Unset, with no 'files': the system journal (/var/log/journal and "
          "/run/log/journal).");
  s.field("files", &JournaldOptions::files, "Journal files to read, instead of a directory.");
  s.field("matches", &JournaldOptions::matches,
          "Only entries with these fields, each FIELD=value (e.g. _SYSTEMD_UNIT=nginx.service): "
          "matches of one field are alternatives (OR), matches of different fields must all "
          "hold (AND), as in journalctl.");
  s.field("priority", &JournaldOptions::priority,
          "The most verbose syslog priority read (emerg, alert, crit, err, warning, notice, "
          "info, debug): err reads priorities 0 to 3. all: no filter (entries without a "
          "PRIORITY field included).");
  s.field("read_from", &JournaldOptions::read_from,
          "Where to start without a saved cursor (a first start): head (the oldest entry) or "
          "tail (only entries written from now on). With a saved cursor, reading resumes after "
          "the last acknowledged entry; a cursor the journal no longer holds (vacuumed while "
          "the agent was down) is counted as lost and reading resumes at the oldest entry.");
  s.field("wait_interval", &JournaldOptions::wait_interval,
          "The longest wait for new entries before the journal is checked again (new entries "
          "wake the wait sooner).");
  s.rule(check_source).rule(check_matches);
  return s;
}

bool field_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

}  // namespace

bool valid_match(std::string_view match) {
  const size_t eq = match.find('=');
  if (eq == 0 || eq == std::string_view::npos || (match[0] >= '0' && match[0] <= '9')) {
    return false;
  }
  for (size_t i = 0; i < eq; ++i) {
    if (!field_char(match[i])) return false;
  }
  return true;
}

std::string JournaldOptions::source_name() const {
  if (!directory.empty()) return "journal:" + directory;
  if (files.empty()) return "journal";
  std::string out = "journal:";
  for (size_t i = 0; i < files.size(); ++i) out += (i > 0 ? "," : "") + files[i];
  return out;
}

const Schema<JournaldOptions>& JournaldOptions::schema() {
  static const Schema<JournaldOptions> s = make_schema();
  return s;
}

}  // namespace logagent::plugins::journald
