// Fingerprints: reading and checking a file's identity (dev, ino, hash of its first bytes).
//
// identify() hashes the first min(size, kFingerprintCap) bytes of an open file (fewer when a read
// fails: the fingerprint grows at the next refresh). refresh() checks that the bytes an older
// identity hashed are unchanged (so a truncated and rewritten file or a reused inode is told
// apart) and returns the identity grown to the file's current size; a failed read says so.
// Stateless helpers over a file descriptor; any thread.
#pragma once

#include <sys/stat.h>

#include <cstdint>

#include "agent/api/source.h"
#include "plugins/inputs/tail/tail_sys.h"

namespace logagent::plugins::tail {

struct Refreshed {
  bool matches = false;  // the first old.fp_len bytes still hash to old.fp_hash
  int err = 0;           // a read failed (errno): nothing is known, `matches` is false
  FileIdentity current;  // dev/ino from `st`, fingerprint over min(size, cap) bytes
};

// When the file on `fd` was created (statx btime; 0 where the filesystem does not say).
int64_t birth_ns(int fd, TailSys& sys = real_tail_sys());
// An identity by inode alone, as a scan's stat gives it (no bytes hashed, no birth time): it names
// whatever file has that inode now.
FileIdentity inode_identity(uint64_t dev, uint64_t ino);
// `*err` (when given): the errno of a read that failed (the fingerprint is then short), else 0.
FileIdentity identify(int fd, const struct stat& st, TailSys& sys = real_tail_sys(),
                      int* err = nullptr);
Refreshed refresh(int fd, const struct stat& st, const FileIdentity& old,
                  TailSys& sys = real_tail_sys());

enum class Match {
  other,      // another file: another inode, or its inode number given to a file made since
  same,       // the file, its first bytes unchanged
  rewritten,  // the file (same inode, born at the same time), its first bytes changed: truncated
};
// What `fd` (described by `st`) is to the file `saved` identifies. With birth times (saved and
// now) the inode and birth decide whether it is the file, and the fingerprint whether it was
// rewritten; without, only the fingerprint can tell -- at least saved.fp_len bytes, the same first
// bytes -- and a rewritten file is taken for another.
Match match_file(int fd, const struct stat& st, const FileIdentity& saved,
                 TailSys& sys = real_tail_sys());
// match_file() is same or rewritten.
bool same_file(int fd, const struct stat& st, const FileIdentity& saved,
               TailSys& sys = real_tail_sys());

}  // namespace logagent::plugins::tail
