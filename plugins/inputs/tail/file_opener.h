// Opening files and deciding where reading starts: checkpoint resume, read_from, and files that
// were rotated while the agent was down (or while an idle file was closed).
//
// A file found at start-up resumes at its saved offset when a saved entry has its (dev, ino) and
// its first fp_len bytes still hash to the saved fingerprint; a saved offset past the end means
// it was truncated while we were away (restart at 0). Otherwise it is new: read_from head → 0,
// tail → just after the last complete line. A saved entry no matched file claims is looked for,
// by identity, in the directory of its saved path (app.log renamed to app.log.1).
//
// Threads: input thread only (start-up and rescans).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agent/api/source.h"
#include "plugins/inputs/tail/tail_sys.h"

namespace logagent::plugins::tail {

struct OpenedFile {
  int fd = -1;  // owned by the receiver; -1 on error
  int err = 0;  // errno when fd < 0
  struct stat st {};
  std::string path;
};

// open(O_RDONLY|O_CLOEXEC) + fstat; regular files only (EISDIR/EINVAL otherwise).
OpenedFile open_file(const std::string& path, TailSys& sys = real_tail_sys());
// A regular file in `dir`, under any name, that is the file `id` names (fingerprint.h:
// same_file(); fd < 0 when none). Without a birth time, an empty file's identity (no fingerprint)
// matches whatever file has its inode number now.
OpenedFile find_by_identity(const std::string& dir, const FileIdentity& id,
                            TailSys& sys = real_tail_sys());
// The offset just after the last '\n' among the last 64KiB (the size when there is none).
uint64_t tail_offset(int fd, uint64_t size, TailSys& sys = real_tail_sys());

struct StartPoint {
  uint64_t offset = 0;
  bool resumed = false;               // from a saved checkpoint
  bool truncated_while_down = false;  // saved offset was past the end: restarted at 0
};

class ResumePlanner {
 public:
  ResumePlanner(std::vector<CheckpointEntry> saved, bool from_tail, TailSys& sys = real_tail_sys())
      : saved_(std::move(saved)), used_(saved_.size(), false), from_tail_(from_tail), sys_(sys) {}

  // Where a file starts: at its saved offset when an entry claims it; otherwise, at start-up,
  // where read_from says, and later at 0 (a file that appears while running is new).
  StartPoint start_for(const OpenedFile& f, bool at_start = true);

  struct Rotated {
    OpenedFile file;
    uint64_t offset = 0;
    bool truncated = false;  // truncated since the checkpoint: read from 0
  };
  // Files of unclaimed entries found under another name. Entries whose file is not found stay
  // (logged): the file may be unreadable for now, and it resumes where it was when it can be
  // opened (the pipeline keeps them in its checkpoint meanwhile).
  std::vector<Rotated> find_rotated();
  // Files start_for() placed by read_from: tail (a start point a restart would not choose again).
  size_t tail_starts() const { return tail_starts_; }

 private:
  std::vector<CheckpointEntry> saved_;
  std::vector<bool> used_;
  bool from_tail_;
  size_t tail_starts_ = 0;
  TailSys& sys_;
};

}  // namespace logagent::plugins::tail
