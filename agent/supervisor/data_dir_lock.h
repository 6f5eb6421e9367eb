// DataDirLock: one agent per data_dir. Two agents on one data_dir would both read and rewrite the
// same checkpoints (and race on their temporary files): the second would resend or skip what the
// first delivered. The lock is an flock(2) on <data_dir>/logagent.lock, held for the life of the
// process (the kernel drops it when the process dies, so a kill -9 leaves no stale lock); the
// file holds the holder's pid for the error message.
//
// Threads: the main thread, before any pipeline starts.
#pragma once

#include <string>

#include "agent/api/status.h"

namespace logagent {

class DataDirLock {
 public:
  DataDirLock() = default;
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  // Creates data_dir if needed and takes the lock. An error when another process holds it. When
  // the lock file cannot be created at all (read-only or full file system), a warning is logged
  // and the agent goes on: its checkpoint writes will fail and say so.
  Status acquire(const std::string& data_dir);

 private:
  int fd_ = -1;
};

}  // namespace logagent
