// RenameHistory: follows, through inotify's ordered event stream, the files that appeared under a
// matched name and that discovery has not opened yet, so that a generation created and rotated
// while the agent could not look (stopped by SIGSTOP, starved of CPU) is found under the name it
// has now -- a name outside the globs included (logrotate's app.log -> app.log.1).
//
// The events of a directory are applied in the order the kernel queued them: an arrival under a
// matched name (IN_CREATE, or IN_MOVED_TO from outside the watched directories) starts a pending
// entry; IN_MOVED_FROM/IN_MOVED_TO pairs (one cookie) move it; IN_DELETE of its name, a rename
// onto its name, or a move out of every watched directory ends it as lost. After each batch the
// owner opens every pending entry by its current name (pending()) and calls resolved(); what it
// could not open stays pending until an event says where it went.
//
// What a name holds can change again before its events are read, so an opened entry is only
// resolved once a whole later batch passed without touching it (then the open saw the file the
// history meant). Until then it keeps a pin token: the owner's duplicate descriptor of what it
// opened there, handed back through the Closer when no longer needed, or with a Lost report so
// the owner can tell whether the file that went was the one it holds (st_nlink == 0: deleted, but
// read through the descriptor: not lost). A scan that opened a file before its arrival event was
// read announces it with pinned_at(): the next arrival under that name is taken to be that file.
// The owner learns of a pin confirmed that way (Confirmer) -- only then is a file opened under a
// name outside the globs known to be the one meant, and not a copy or a later generation that
// took the name -- and of a pin superseded by an open under the entry's next name (Superseder):
// the older pin may be the file, opened before it moved, so the owner may keep it until the
// entry is confirmed or lost.
//
// Threads: one owner (the discovery thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace logagent::plugins::tail {

class RenameHistory {
 public:
  // True when `path` is matched by the input's globs (and not excluded).
  using Matcher = std::function<bool(const std::string& path)>;
  // Gives a pin token back to the owner (closes its descriptor).
  using Closer = std::function<void(int64_t token)>;
  // An entry's pin is confirmed: a whole batch passed after the open that made it without
  // touching the entry, so it is the file the history meant (called before it is released).
  using Confirmer = std::function<void(int64_t token)>;
  // An entry was opened again under a new name (it moved since): `old` is handed to the owner,
  // which may keep it beside `token` -- it may be the entry's file, opened before the move.
  using Superseder = std::function<void(int64_t old, int64_t token)>;

  struct Entry {
    std::string first_path;  // the matched name it arrived under
    int64_t pin = -1;        // the token of what was opened under its name, or -1
    bool stale = true;       // not opened under its current name yet
    int age = 0;             // batches since it was opened
  };
  struct Lost {
    std::string path;        // the name it had when it went
    std::string first_path;  // the matched name it arrived under
    const char* reason;      // "deleted", "overwritten", "moved_away"
    int64_t pin = -1;        // owned by the receiver now: what was opened under its name
  };

  RenameHistory(Matcher matcher, Closer closer, Confirmer confirmer = nullptr,
                Superseder superseder = nullptr)
      : matcher_(std::move(matcher)),
        closer_(std::move(closer)),
        confirmer_(std::move(confirmer)),
        superseder_(std::move(superseder)) {}
  ~RenameHistory() { clear(); }
  RenameHistory(const RenameHistory&) = delete;
  RenameHistory& operator=(const RenameHistory&) = delete;

  void created(const std::string& path);
  void moved_from(const std::string& path, uint32_t cookie);
  void moved_to(const std::string& path, uint32_t cookie);
  void deleted(const std::string& path);
  // The end of one read of the event queue: a move whose IN_MOVED_TO did not come within the
  // next batch left the watched directories; an entry opened before this batch and untouched by
  // it is resolved.
  void end_batch();
  // A queue overflow: the history is incomplete; everything pending is dropped (the full rescan
  // that follows finds what is still matched).
  void clear();

  // A scan opened the file now at `path`; `token` identifies that pin to the owner.
  void pinned_at(const std::string& path, int64_t token);

  // The current names of the entries not opened under their current name.
  std::vector<std::string> to_open() const;
  // The owner opened the entry at `path`; `token` stands for what it got.
  void opened(const std::string& path, int64_t token);
  std::vector<Lost> take_lost();

  size_t size() const { return pending_.size() + moving_.size(); }

 private:
  struct Moving {
    Entry entry;
    std::string from;
    int batches = 0;
  };
  void arrive(const std::string& path, Entry entry);
  void lose(const std::string& path, Entry entry, const char* reason);
  void release(int64_t& token);

  Matcher matcher_;
  Closer closer_;
  Confirmer confirmer_;
  Superseder superseder_;
  std::map<std::string, Entry> pending_;  // current name -> entry
  std::map<uint32_t, Moving> moving_;     // cookie -> entry between MOVED_FROM and MOVED_TO
  // cookie -> batches seen, for moves of files under a matched name that are not pending: those
  // are known to the owner (opened, or found by a scan), so their arrival starts nothing.
  std::map<uint32_t, int> known_moves_;
  std::map<std::string, int64_t> pinned_;  // name -> pin token, until its arrival is read
  std::vector<Lost> lost_;
};

}  // namespace logagent::plugins::tail
