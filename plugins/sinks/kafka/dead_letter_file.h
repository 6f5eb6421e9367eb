// DeadLetterFile: appends the events that Kafka refused for good (message too large, not
// authorized, unknown topic) to <data_dir>/<pipeline>.<sink>.deadletter.ndjson, one JSON object
// per event:
//   {"time":"<when it was dead-lettered>","reason":"MSG_SIZE_TOO_LARGE","error":"<librdkafka
//    text>","topic":"t","file":"<path>","offset":N,"message":"<the line>"}
// A batch with dead events is acknowledged only after its lines were written and fdatasync'd, so
// a crash never loses them; if the file cannot be written, the batch is rejected instead (the
// pipeline stops and its bytes are read again after a restart). The file is opened on first use.
//
// Threads: append() may be called from any thread; a mutex keeps each call's lines together.
#pragma once

#include <mutex>
#include <string>

#include "agent/api/status.h"

namespace logagent::plugins::kafka {

class DeadLetterFile {
 public:
  explicit DeadLetterFile(std::string path) : path_(std::move(path)) {}
  ~DeadLetterFile();
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  const std::string& path() const { return path_; }
  // Appends `lines` (each ending in '\n') and syncs them to disk.
  Status append(const std::string& lines);

 private:
  const std::string path_;
  std::mutex mu_;
  int fd_ = -1;  // guarded by mu_
};

}  // namespace logagent::plugins::kafka
