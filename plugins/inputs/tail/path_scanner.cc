#include "plugins/inputs/tail/path_scanner.h"

#include <fnmatch.h>
#include <glob.h>

#include <algorithm>
#include <set>
#include <utility>

namespace logagent::plugins::tail {

std::string dir_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool has_wildcard(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

std::vector<std::string> expand_glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    out.reserve(g.gl_pathc);
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return out;
}

PathScanner::PathScanner(const std::vector<std::string>& patterns,
                         std::vector<std::string> excludes, const std::string& cwd,
                         PathFilter admits)
    : excludes_(std::move(excludes)), admits_(std::move(admits)) {
  for (const std::string& p : patterns) {
    if (!p.empty() && p.front() == '/') {
      patterns_.push_back(p);
    } else {
      patterns_.push_back(cwd + "/" + p);
    }
  }
}

bool PathScanner::excluded(std::string_view path) const {
  if (admits_ && !admits_(path)) return true;
  const std::string full(path);
  const std::string base(base_name(path));
  for (const std::string& e : excludes_) {
    if (::fnmatch(e.c_str(), full.c_str(), 0) == 0) return true;
    if (::fnmatch(e.c_str(), base.c_str(), 0) == 0) return true;
  }
  return false;
}

bool PathScanner::matches(std::string_view path) const {
  const std::string full(path);
  for (const std::string& pattern : patterns_) {
    const bool hit = has_wildcard(pattern)
                         ? ::fnmatch(pattern.c_str(), full.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0
                         : pattern == full;
    if (hit) return !excluded(path);
  }
  return false;
}

std::vector<ScannedFile> PathScanner::scan() const {
  std::vector<ScannedFile> out;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const std::string& pattern : patterns_) {
    std::vector<std::string> matches;
    if (has_wildcard(pattern)) {
      matches = expand_glob(pattern);
    } else {
      matches.push_back(pattern);
    }
    for (std::string& path : matches) {
      if (excluded(path)) continue;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
      out.push_back({std::move(path), st});
    }
  }
  return out;
}

std::vector<std::string> PathScanner::watch_dirs() const {
  std::vector<std::string> out;
  for (const std::string& pattern : patterns_) {
    const std::string dir = dir_name(pattern);
    if (has_wildcard(dir)) {
      for (std::string& d : expand_glob(dir)) {
        struct stat st {};
        if (::stat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(std::move(d));
      }
    } else {
      out.push_back(dir);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace logagent::plugins::tail
