// ScanCache: discovery's periodic rescan without listing and statting every file each time.
//
// It finds what PathScanner::scan() finds -- the same files, paths, order and first-path rule --
// but remembers, for each directory a pattern expands to, the names it matched there and their
// stats. What inotify vouches for is reused: a directory whose watch (InotifyWatcher::verify())
// is the one it was listed through, with no entry created, deleted or moved in it since, is not
// listed again; a path that no event named since it was stat'ed is not stat'ed again. Everything
// else is listed or stat'ed as PathScanner does: a directory with no trusted watch (polling, a
// watch limit, NFS, a second name of a directory, a name that now holds another directory), a
// symlink (its target may change where no watch of ours looks), what an event named.
// forget_all() drops everything (an inotify queue overflow, discovery's periodic full scan).
//
// refresh() says whether anything the tracker follows files by (their paths and the identities
// behind them) changed since the last refresh -- an unchanged rescan need not reach the tracker
// -- and whether a directory had no watch to vouch for it (then every rescan must reach the
// tracker: only rescans see its files change). The first refresh, and the first after
// forget_all(), have nothing to compare with: they report a change whatever they find -- even
// nothing (the tracker's own start-up scan may have found a file renamed away since).
//
// Threads: the discovery thread's (or one test's).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/inputs/tail/path_scanner.h"

namespace logagent::plugins::tail {

class ScanCache {
 public:
  // The id of the watch that covers directory `dir`, whose stat is `st` now (0: none);
  // InotifyWatcher::verify().
  using WatchOf = std::function<uint64_t(const std::string& dir, const struct stat& st)>;

  struct Refresh {
    bool changed = false;    // paths or identities differ from the last refresh()'s (or none)
    bool uncovered = false;  // a directory had no watch to vouch for it
    size_t listed = 0;       // directories listed (globbed)
    size_t statted = 0;      // files stat'ed
  };

  explicit ScanCache(const PathScanner& scanner) : scanner_(scanner) {}

  // What inotify reported for `path` (dir + "/" + name), in the order it came.
  void event(std::string_view path, uint32_t mask);
  // Nothing cached is taken as current by the next refresh().
  void forget_all();
  // Brings what is cached up to date with the file system.
  Refresh refresh(const WatchOf& watch_of);
  // What PathScanner::scan() would have returned at the last refresh().
  std::vector<ScannedFile> files() const;

 private:
  struct Entry {
    std::string path;
    bool valid = false;  // stat'ed through the listing's watch, no event since
    bool link = false;   // a symlink: stat'ed again each time
    bool regular = false;
    struct stat st {};
  };
  struct Listing {
    uint64_t watch = 0;  // 0: listed and stat'ed again each time
    bool stale = true;
    std::vector<Entry> entries;  // sorted by path
  };

  Listing& listing(size_t pattern, const std::string& dir);
  // Lists `dir` for pattern `pattern` again, keeping the stats of the names it had.
  void relist(Listing& l, const std::string& pattern, const std::string& dir, Refresh& out);
  // Stats `e` unless it is valid; true if its identity changed.
  static bool restat(Entry& e, uint64_t watch, Refresh& out);

  const PathScanner& scanner_;
  // Per pattern (scanner_.patterns() order): its directories (sorted) and their listings.
  std::vector<std::map<std::string, Listing>> listings_;
  bool baseline_ = false;  // listings_ hold what the last refresh() found
};

// `text` with glob(3)'s special characters escaped, so that glob matches it as itself.
std::string glob_escape(std::string_view text);

}  // namespace logagent::plugins::tail
