#include "plugins/inputs/tail/tail_options.h"

#include <optional>
#include <string>

namespace logagent::plugins::tail {
namespace {

std::optional<std::string> check_paths(const TailOptions& o) {
  if (o.paths.empty()) return "'paths' must list at least one glob";
  for (const std::string& p : o.paths) {
    if (p.empty()) return "'paths' must not contain an empty pattern";
  }
  for (const std::string& p : o.exclude) {
    if (p.empty()) return "'exclude' must not contain an empty pattern";
  }
  return std::nullopt;
}

std::optional<std::string> check_sizes(const TailOptions& o) {
  if (o.max_line_bytes.bytes < TailOptions::kMinLineBytes) {
    return "'max_line_bytes' must be at least 1KiB";
  }
  if (o.max_open_files == 0) return "'max_open_files' must be at least 1";
  return std::nullopt;
}

std::optional<std::string> check_durations(const TailOptions& o) {
  if (o.scan_interval.value.count() <= 0) return "'scan_interval' must be positive";
  if (o.poll_interval.value.count() <= 0) return "'poll_interval' must be positive";
  return std::nullopt;
}

Schema<TailOptions> make_schema() {
  Schema<TailOptions> s;
  s.field("paths", &TailOptions::paths,
          "Globs of the files to follow; relative ones are resolved against the working "
          "directory. Symlinks (to files or directories) are followed.")
      .required();
  s.field("exclude", &TailOptions::exclude,
          "Globs (fnmatch) of files to skip, matched against the full path and the basename. "
          "Files the agent writes itself (every sink's output and rolled files, the data_dir) "
          "are always skipped.");
  s.field("read_from", &TailOptions::read_from,
          "Where to start a file found at start-up without a checkpoint: head or tail. Files "
          "created while running are always read from their start.");
  s.field("once_partial_line", &TailOptions::once_partial_line,
          "run --once: a file's last line without its newline (a writer mid-line) is held -- not "
          "sent, not checkpointed -- so the next run reads it whole and one line never becomes "
          "two records; emit: send it as it is (archives that will not grow).");
  s.field("scan_interval", &TailOptions::scan_interval,
          "Period of the rescan of the globs (also done when inotify is active). In a directory "
          "inotify vouches for (watched, on a local file system) a rescan lists the directory "
          "again only when a name was created, renamed or deleted in it, and stats only files an "
          "event named; every 60 intervals, and always elsewhere (polling, NFS, FUSE), it lists "
          "and stats everything.");
  s.field("poll_interval", &TailOptions::poll_interval,
          "Period of the size check of open files when inotify is unavailable.");
  s.field("max_line_bytes", &TailOptions::max_line_bytes,
          "Longer lines are cut to this size and flagged truncated; the rest of the line is "
          "skipped (and counted).");
  s.field("max_open_files", &TailOptions::max_open_files,
          "Soft budget of open descriptors: idle files beyond it are closed and reopened by "
          "identity when they grow.");
  s.field("idle_close_after", &TailOptions::idle_close_after,
          "How long a file must be idle before it may be closed to honour max_open_files.");
  s.field("deleted_max_pinned", &TailOptions::deleted_max_pinned,
          "Total unread bytes of deleted files whose descriptors are kept open to drain them; "
          "beyond it the rest is abandoned and counted.");
  s.field("deleted_max_age", &TailOptions::deleted_max_age,
          "How long a deleted, unread file is kept open; after it the rest is abandoned and "
          "counted.");
  s.field("multiline", &TailOptions::multiline,
          "Joins the lines of one event (stack traces) per file, before lanes split: "
          "{mode: java|python|go}, {start: RE2} (a matching line begins an event) or "
          "{continue: RE2} (a matching line continues one); exactly one of them. Also "
          "max_lines (500), max_bytes (1MiB): a longer event is cut, flagged truncated, and "
          "the rest becomes the next event; flush_after (1s): how long a file may stay idle "
          "before its last event is emitted. An event is the file's bytes from its first "
          "line to its last, inner newlines kept. `multiline: java` is short for "
          "{mode: java}. Patterns are checked when the configuration is validated.");
  s.field("kubernetes", &TailOptions::kubernetes,
          "Metadata from the kubelet's log layout, parsed once per file from its path: "
          "k8s.namespace, k8s.pod, k8s.pod_uid, k8s.container, k8s.restart_count and "
          "container_id on every event of /var/log/pods/<namespace>_<pod>_<uid>/<container>/"
          "<restart>.log and of /var/log/containers/<pod>_<namespace>_<container>-<id>.log "
          "links (read once for the uid and restart count), as source fields: templates "
          "({field.k8s.namespace:-other}), drop/keep and the json and otlp outputs see them as "
          "fields of each event. `true`, or a map that also filters: {namespaces: {include: "
          "[globs], exclude: [globs]}, pods: {include: [...], exclude: [...]}} -- a kubelet file "
          "is read when its namespace and pod each match an include (none: all) and no exclude; "
          "other files are read without metadata. `fields: [...]` sets only those keys. "
          "`api: {enabled: true, labels: [globs], annotations: [globs]}` (off by default) adds "
          "the selected labels and annotations of each file's pod, watched on the API server "
          "with the service account's token, as k8s.label.<key> and k8s.annotation.<key>; also "
          "server, service_account_dir, node_name ($NODE_NAME), max_pods (2000), max_pod_bytes "
          "(4KiB) and wait (5s: how long reading waits for the first pod list at start).");
  s.rule(check_paths).rule(check_sizes).rule(check_durations);
  return s;
}

}  // namespace

const Schema<TailOptions>& TailOptions::schema() {
  static const Schema<TailOptions> s = make_schema();
  return s;
}

}  // namespace logagent::plugins::tail
