// FileTracker: the read rounds -- a turn for every file that may have data, files beyond
// max_open_files opened only to be read, and the multiline flush of idle files.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "plugins/inputs/tail/file_tracker.h"
#include "plugins/inputs/tail/fingerprint.h"

namespace logagent::plugins::tail {

void FileTracker::want_rescans() {
  if (discovery_ != nullptr) discovery_->request_rescan();
}

void FileTracker::retry_at_scan(FileReader& r) {
  r.retry_at_scan();
  want_rescans();
}

bool FileTracker::try_reopen(ReadEnv& env, Tracked& t) {
  (void)env;
  FileReader& r = *t.reader;
  OpenedFile o = open_file(r.path(), sys_);
  if (o.fd < 0) return false;
  if (!same_file(o.fd, o.st, r.identity(), sys_)) {
    sys_.close(o.fd);  // replaced while closed: the next scan sorts it out
    return false;
  }
  budget_.take();  // opened to be read, beyond max_open_files if need be: park_if_over_budget()
  r.reopen(o.fd);
  return true;
}

// Every marked file gets a turn, starting where the last round stopped; the round ends early
// after kRoundNs, so that a backlog never keeps the next rescan (run between rounds) waiting:
// a file created, rotated and deleted meanwhile would never be seen.
bool FileTracker::read_round(ReadEnv& env, bool* stopped) {
  bool progressed = false;
  *stopped = false;
  struct Slice {
    ReadEnv& env;
    ~Slice() { env.deadline = std::numeric_limits<int64_t>::max(); }
  } slice{env};
  env.deadline = sys_.mono_now_ns() + kRoundNs;
  const size_t n = readers_.size();
  for (size_t i = 0; i < n; ++i) {
    const size_t k = (next_ + i) % n;
    Tracked& t = readers_[k];
    FileReader& r = *t.reader;
    if (!r.maybe_data && !r.draining()) continue;
    if (!r.open() && !try_reopen(env, t)) {
      r.maybe_data = false;
      want_rescans();  // the next scan finds what holds its name now, or opens it again
      continue;
    }
    bool error = false;
    if (!r.sync(env, &error)) {
      r.maybe_data = false;
      if (error) retry_at_scan(r);  // no retry loop here, but at the next scan
      park_if_over_budget(r);
      continue;
    }
    const TurnEnd end = r.turn(env);
    if (end == TurnEnd::kStopped) {
      *stopped = true;
      return progressed;
    }
    progressed = true;
    r.maybe_data = end == TurnEnd::kBudget;
    if (end == TurnEnd::kError) retry_at_scan(r);
    park_if_over_budget(r);
    if (sys_.mono_now_ns() >= env.deadline) {
      next_ = k + 1;
      break;
    }
  }
  return progressed;
}

// Beyond max_open_files a file is closed again at the end of its turn: read to its end, it is
// reopened by identity when it changes; with more to read (its turn used up), at its next turn.
// So however many closed files have data, one at a time is open beyond the limit (and those
// being drained), busy machine or not.
void FileTracker::park_if_over_budget(FileReader& r) {
  if (!budget_.over() || !r.open() || r.draining()) return;
  if (!r.at_eof()) {
    r.close();  // r.maybe_data stays: its next turn reopens it
    return;
  }
  if (r.holding()) return;  // flush_idle() watches it while it is open
  r.close();
  r.maybe_data = false;
  metrics_.files_closed_idle.inc();
}

bool FileTracker::flush_idle(ReadEnv& env, int64_t now, bool* stopped) {
  *stopped = false;
  if (env.multiline == nullptr) return false;
  bool flushed = false;
  for (Tracked& t : readers_) {
    FileReader& r = *t.reader;
    if (!r.holding() || now - r.last_data() < env.multiline->flush_after_ns) continue;
    if (!r.open() && !try_reopen(env, t)) continue;
    if (r.sync(env)) {  // it grew: the next read round may continue the held event
      r.maybe_data = true;
      r.see_data(now);  // and the idle time starts again
      continue;
    }
    if (!r.holding()) continue;  // truncated
    const TurnEnd end = r.flush_held(env);
    if (end == TurnEnd::kStopped) {
      *stopped = true;
      return flushed;
    }
    if (end == TurnEnd::kError) r.see_data(now);  // still held: tried after another flush_after
    if (end == TurnEnd::kEof) park_if_over_budget(r);
    flushed = flushed || end == TurnEnd::kEof;
  }
  return flushed;
}

int64_t FileTracker::next_flush(const ReadEnv& env) const {
  int64_t next = std::numeric_limits<int64_t>::max();
  if (env.multiline == nullptr) return next;
  for (const Tracked& t : readers_) {
    if (t.reader->holding() && t.reader->open()) {  // closed ones: at the next wake-up
      next = std::min(next, t.reader->last_data() + env.multiline->flush_after_ns);
    }
  }
  return next;
}

void FileTracker::close_finished() {
  for (Tracked& t : readers_) {
    FileReader& r = *t.reader;
    if (!r.open() || r.draining() || r.holding() || !r.at_eof()) continue;
    r.close();
    r.maybe_data = false;
  }
}

}  // namespace logagent::plugins::tail
