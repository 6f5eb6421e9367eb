// Fingerprints: reading and checking a file's identity (dev, ino, hash of its first bytes).
//
// identify() hashes the first min(size, kFingerprintCap) bytes of an open file. refresh() checks
// that the bytes an older identity hashed are unchanged (so a truncated and rewritten file or a
// reused inode is told apart) and returns the identity grown to the file's current size.
// Stateless helpers over a file descriptor; any thread.
#pragma once

#include <sys/stat.h>

#include <cstdint>

#include "agent/api/source.h"

namespace logagent::plugins::tail {

struct Refreshed {
  bool matches = false;  // the first old.fp_len bytes still hash to old.fp_hash
  FileIdentity current;  // dev/ino from `st`, fingerprint over min(size, cap) bytes
};

FileIdentity identify(int fd, const struct stat& st);
Refreshed refresh(int fd, const struct stat& st, const FileIdentity& old);
// Whether `fd` (described by `st`) is the file `saved` identifies: same dev/ino, at least
// saved.fp_len bytes, and the same first bytes.
bool same_file(int fd, const struct stat& st, const FileIdentity& saved);

}  // namespace logagent::plugins::tail
