#include "plugins/inputs/tail/scan_cache.h"

#include <algorithm>
#include <set>
#include <utility>

#include "plugins/inputs/tail/inotify_watcher.h"

namespace logagent::plugins::tail {

std::string glob_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

void ScanCache::event(std::string_view path, uint32_t mask) {
  const std::string dir = dir_name(path);
  for (std::map<std::string, Listing>& dirs : listings_) {
    const auto it = dirs.find(dir);
    if (it == dirs.end()) continue;
    Listing& l = it->second;
    if ((mask & InotifyWatcher::kStructuralMask) != 0) l.stale = true;
    const auto e = std::lower_bound(l.entries.begin(), l.entries.end(), path,
                                    [](const Entry& a, std::string_view p) { return a.path < p; });
    if (e != l.entries.end() && e->path == path) e->valid = false;
  }
}

void ScanCache::forget_all() {
  listings_.clear();
  baseline_ = false;
}

ScanCache::Refresh ScanCache::refresh(const WatchOf& watch_of) {
  Refresh out;
  // Nothing to compare with: what a caller knew from elsewhere (the tracker's start-up scan, the
  // files before an inotify overflow) may be gone, and a refresh finding nothing new would hide
  // it.
  out.changed = !std::exchange(baseline_, true);
  const std::vector<std::string>& patterns = scanner_.patterns();
  listings_.resize(patterns.size());
  for (size_t p = 0; p < patterns.size(); ++p) {
    const std::string dir_pattern = dir_name(patterns[p]);
    std::vector<std::string> dirs;
    if (has_wildcard(dir_pattern)) {
      dirs = expand_glob(dir_pattern);
    } else {
      dirs.push_back(dir_pattern);
    }
    std::map<std::string, Listing>& listings = listings_[p];
    std::map<std::string, Listing> kept;
    for (const std::string& dir : dirs) {
      struct stat st {};
      if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      auto node = listings.extract(dir);
      Listing l = node ? std::move(node.mapped()) : Listing{};
      const uint64_t watch = watch_of(dir, st);
      if (watch == 0) out.uncovered = true;
      if (watch == 0 || watch != l.watch || l.stale) {
        if (watch != l.watch) {
          for (Entry& e : l.entries) e.valid = false;
        }
        l.watch = watch;
        relist(l, patterns[p], dir, out);
      }
      for (Entry& e : l.entries) {
        if (restat(e, l.watch, out)) out.changed = true;
      }
      kept.emplace(dir, std::move(l));
    }
    // Directories gone from the pattern's expansion take their files with them.
    for (const auto& [dir, l] : listings) {
      if (std::any_of(l.entries.begin(), l.entries.end(), [](const Entry& e) { return e.regular; }))
        out.changed = true;
    }
    listings = std::move(kept);
  }
  return out;
}

void ScanCache::relist(Listing& l, const std::string& pattern, const std::string& dir,
                       Refresh& out) {
  ++out.listed;
  l.stale = false;
  std::vector<std::string> paths;
  if (has_wildcard(pattern)) {
    paths = expand_glob(glob_escape(dir) + "/" + std::string(base_name(pattern)));
  } else {
    paths.push_back(pattern);
  }
  // glob(3) sorts by strcoll(): in the C locale the agent runs in, byte order. Sorted here all the
  // same, since the merge below needs the order of `l.entries`.
  std::sort(paths.begin(), paths.end());
  std::vector<Entry> entries;
  entries.reserve(paths.size());
  auto old = l.entries.begin();
  for (std::string& path : paths) {
    if (scanner_.excluded(path)) continue;
    while (old != l.entries.end() && old->path < path) {
      if (old->regular) out.changed = true;  // gone
      ++old;
    }
    if (old != l.entries.end() && old->path == path) {
      entries.push_back(std::move(*old++));
    } else {
      entries.push_back(Entry{std::move(path)});  // new: stat'ed by the caller
      out.changed = true;
    }
  }
  for (; old != l.entries.end(); ++old) {
    if (old->regular) out.changed = true;
  }
  l.entries = std::move(entries);
}

bool ScanCache::restat(Entry& e, uint64_t watch, Refresh& out) {
  if (e.valid && !e.link && watch != 0) return false;
  ++out.statted;
  const bool was_regular = e.regular;
  const struct stat was = e.st;
  struct stat st {};
  e.regular = false;
  e.link = false;
  if (::lstat(e.path.c_str(), &st) == 0) {
    e.link = S_ISLNK(st.st_mode);
    if (!e.link || ::stat(e.path.c_str(), &st) == 0) {
      e.regular = S_ISREG(st.st_mode);
      e.st = st;
    }
  }
  e.valid = watch != 0;
  if (e.regular != was_regular) return true;
  return e.regular && (e.st.st_dev != was.st_dev || e.st.st_ino != was.st_ino);
}

std::vector<ScannedFile> ScanCache::files() const {
  std::vector<ScannedFile> out;
  std::set<std::pair<dev_t, ino_t>> seen;
  std::vector<const Entry*> matched;
  for (const std::map<std::string, Listing>& dirs : listings_) {
    matched.clear();
    for (const auto& [dir, l] : dirs) {
      for (const Entry& e : l.entries) matched.push_back(&e);
    }
    // As glob(3) orders the matches of one pattern: by path, whatever directory they are in.
    if (dirs.size() > 1) {
      std::sort(matched.begin(), matched.end(),
                [](const Entry* a, const Entry* b) { return a->path < b->path; });
    }
    for (const Entry* e : matched) {
      if (!e->regular || !seen.insert({e->st.st_dev, e->st.st_ino}).second) continue;
      out.push_back({e->path, e->st});
    }
  }
  return out;
}

}  // namespace logagent::plugins::tail
