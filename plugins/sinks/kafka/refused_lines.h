// RefusedLines: delivery: exactly_once -- the lines Kafka refused for good inside a transaction
// (a message over the topic's max.message.bytes: MSG_SIZE_TOO_LARGE reported by the broker), so
// that the retry dead-letters them before producing instead of failing every transaction.
//
// A refusal reported by the broker dooms the open transaction (librdkafka makes it abortable):
// the sink aborts it and the pipeline starts again from the committed checkpoint. The refused
// lines are remembered here first -- by file offset and content hash (fingerprint_hash), not by
// path, so a rotation in between does not matter -- and kept in
// <data_dir>/<pipeline>.<sink>.refused (written new, fsync'd, renamed), since the restarted
// pipeline has a new sink. A line remembered is dead-lettered, not produced, when it is written
// again (find()); once a transaction that dead-lettered it commits, its checkpoint covers the
// line and it is forgotten (committed()). A crash before the file was written only costs one
// more aborted transaction.
//
// Threads: find() from lane threads; add() and committed() from the poll thread. A mutex guards
// the set; an atomic count lets find() skip it while nothing is remembered (the usual case).
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "agent/api/batch.h"
#include "agent/api/status.h"

namespace logagent::plugins::kafka {

class RefusedLines {
 public:
  explicit RefusedLines(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  // Reads what a previous sink of this pipeline remembered (a missing file: nothing).
  Status load();
  // Remembers `e`, refused with `err`, and saves the set. An error when the file cannot be
  // written: `e` is still remembered by this sink (the next one would fail once more).
  Status add(const Event& e, rd_kafka_resp_err_t err);
  // The error `e` was refused with (it is then due to be forgotten at the next commit), or
  // RD_KAFKA_RESP_ERR_NO_ERROR when it is not remembered.
  rd_kafka_resp_err_t find(const Event& e);
  // The transaction that dead-lettered the lines found since the last call committed: they are
  // forgotten (and the file saved again).
  Status committed();
  size_t size() const { return count_.load(std::memory_order_acquire); }

 private:
  struct Entry {
    rd_kafka_resp_err_t err;
    bool found = false;  // find() returned it since the last commit
  };
  using Key = std::pair<uint64_t, uint64_t>;  // file offset, fingerprint_hash of the line
  static Key key_of(const Event& e);
  Status save_locked();

  const std::string path_;
  std::mutex mu_;
  std::map<Key, Entry> lines_;  // guarded by mu_
  std::atomic<size_t> count_{0};
};

}  // namespace logagent::plugins::kafka
