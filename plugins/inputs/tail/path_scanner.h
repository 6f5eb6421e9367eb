// PathScanner: expands the configured globs into the regular files to follow.
//
// glob(3) walks symlinked directories (/var/log/containers/*.log → /var/log/pods/...), and each
// match is stat()ed (not lstat), so a symlink to a regular file counts as that file. Excluded
// paths (fnmatch against the full path and the basename) and non-regular files are dropped; a
// file reached through several matching paths is reported once, under the first path in glob
// order. The input's path filter, when given, excludes more. watch_dirs() lists the directories
// whose changes announce new or rotated files.
//
// Threads: immutable after construction; scan() may run on any thread.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace logagent::plugins::tail {

struct ScannedFile {
  std::string path;
  struct stat st;
};

class PathScanner {
 public:
  // A path it returns false for is excluded (e.g. a namespace the input does not read).
  using PathFilter = std::function<bool(std::string_view path)>;

  // Relative patterns are resolved against `cwd`.
  PathScanner(const std::vector<std::string>& patterns, std::vector<std::string> excludes,
              const std::string& cwd, PathFilter admits = {});

  std::vector<ScannedFile> scan() const;
  // The directories each pattern lives in, with wildcard directories expanded.
  std::vector<std::string> watch_dirs() const;
  bool excluded(std::string_view path) const;
  // `path` (as a scan would report it) is matched by a pattern and not excluded.
  bool matches(std::string_view path) const;
  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;
  std::vector<std::string> excludes_;
  PathFilter admits_;
};

// "/a/b/c.log" → "/a/b"; "c.log" → "."; "/c.log" → "/".
std::string dir_name(std::string_view path);
std::string_view base_name(std::string_view path);
bool has_wildcard(std::string_view pattern);
// Expands one glob pattern; sorted matches, none on error.
std::vector<std::string> expand_glob(const std::string& pattern);

}  // namespace logagent::plugins::tail
