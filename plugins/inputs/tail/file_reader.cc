#include "plugins/inputs/tail/file_reader.h"

#include <errno.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string_view>
#include <utility>

#include "plugins/inputs/tail/fingerprint.h"
#include "plugins/inputs/tail/line_framer.h"

namespace logagent::plugins::tail {

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

FileReader::FileReader(int fd, std::string path, const FileIdentity& id, uint64_t offset,
                       std::shared_ptr<SourceState> state, OpenBudget* budget, TailSys& sys)
    : sys_(sys),
      fd_(fd),
      budget_(budget),
      path_(std::move(path)),
      identity_(id),
      state_(std::move(state)),
      offset_(offset),
      read_end_(offset),
      covered_(offset),
      last_active_(sys_.mono_now_ns()),
      last_data_(last_active_) {}

FileReader::~FileReader() { close(); }

void FileReader::close() {
  if (fd_ < 0) return;
  sys_.close(fd_);
  fd_ = -1;
  if (budget_ != nullptr) budget_->give();
}

void FileReader::reopen(int fd) {
  close();
  fd_ = fd;
  maybe_data = true;
}

void FileReader::rename(SourceTracker& sources, const std::string& path) {
  path_ = path;
  source_.reset();  // the next batch names the new path
  sources.update(*state_, identity_, path_);
}

void FileReader::detach(int64_t now_mono_ns) {
  if (draining_) return;
  draining_ = true;
  drain_since_ = now_mono_ns;
  maybe_data = true;
}

void FileReader::restart(ReadEnv& env, const struct stat& st, const char* why) {
  spdlog::info("tail: {} {}; reading it again from the start", path_, why);
  generation_ = env.ctx.sources().restart(*state_, 0);
  offset_ = read_end_ = covered_ = held_end_ = 0;
  skipping_ = false;
  int err = 0;
  identity_ = identify(fd_, st, sys_, &err);
  if (err != 0) {
    spdlog::warn("tail: read {}: {}", path_, ::strerror(err));
    env.metrics.read_errors.inc();
    fingerprint_pending_ = true;
  }
  env.ctx.sources().update(*state_, identity_, path_);
  env.metrics.truncations.inc();
}

bool FileReader::sync(ReadEnv& env, bool* error) {
  if (error != nullptr) *error = false;
  struct stat st {};
  if (fd_ < 0 || sys_.fstat(fd_, &st) != 0) {
    if (fd_ >= 0) {
      spdlog::warn("tail: fstat {}: {}", path_, ::strerror(errno));
      env.metrics.read_errors.inc();
    }
    if (error != nullptr) *error = true;
    return false;
  }
  if (fingerprint_pending_ && !take_fingerprint(env, st)) {
    if (error != nullptr) *error = true;
    return false;
  }
  size_ = static_cast<uint64_t>(std::max<off_t>(st.st_size, 0));
  const bool touched = mtime_ns(st) != mtime_ns_;
  mtime_ns_ = mtime_ns(st);
  state_->observe_size(size_);
  if (st.st_nlink == 0 && !deleted_) {
    deleted_ = true;
    deleted_since_ = sys_.mono_now_ns();
  }
  if (size_ < offset_) {
    restart(env, st, "was truncated");
  } else if (size_ > read_end_ || (touched && size_ > 0 && size_ == read_end_)) {
    // Grown, or written to without growing: truncated and written again to the very size it had
    // (between two looks). Its first bytes tell.
    Refreshed r = refresh(fd_, st, identity_, sys_);
    if (r.err != 0) {  // not known to be rewritten: the next sync() looks again
      spdlog::warn("tail: read {}: {}", path_, ::strerror(r.err));
      env.metrics.read_errors.inc();
      if (error != nullptr) *error = true;
      return false;
    }
    if (!r.matches) {
      restart(env, st, "was rewritten (its first bytes changed)");
    } else if (r.current.fp_len != identity_.fp_len) {
      identity_ = r.current;
      env.ctx.sources().update(*state_, identity_, path_);
    }
  }
  if (fingerprint_pending_) {  // not read without it: the next sync() takes it first
    if (error != nullptr) *error = true;
    return false;
  }
  return size_ > read_end_;
}

// Nothing was read since the restart: its fingerprint is the file's head as it is now.
bool FileReader::take_fingerprint(ReadEnv& env, const struct stat& st) {
  int err = 0;
  const FileIdentity id = identify(fd_, st, sys_, &err);
  if (err != 0) {
    spdlog::warn("tail: read {}: {}", path_, ::strerror(err));
    env.metrics.read_errors.inc();
    return false;
  }
  identity_ = id;
  fingerprint_pending_ = false;
  env.ctx.sources().update(*state_, identity_, path_);
  return true;
}

bool FileReader::unchanged(const struct stat& st) const {
  return static_cast<uint64_t>(std::max<off_t>(st.st_size, 0)) == size_ &&
         mtime_ns(st) == mtime_ns_;
}

TurnEnd FileReader::turn(ReadEnv& env) {
  const uint64_t start = read_end_;
  for (;;) {
    if (!env.chunk.ensure(env.min_free)) return TurnEnd::kStopped;
    switch (read_once(env)) {
      case Step::kMore:
        break;
      case Step::kNeedFresh:
        if (!env.chunk.fresh(env.chunk.pool().chunk_bytes())) return TurnEnd::kStopped;
        break;
      case Step::kNeedBig:  // the line (or event) fills a whole buffer: double it, up to the limit
        if (!env.chunk.fresh(std::min(env.buffer_limit(), 2 * env.chunk.capacity()))) {
          return TurnEnd::kStopped;
        }
        break;
      case Step::kEof:
        return TurnEnd::kEof;
      case Step::kStopped:
        return TurnEnd::kStopped;
      case Step::kError:
        return TurnEnd::kError;
    }
    if (read_end_ - start >= kTurnBytes || sys_.mono_now_ns() >= env.deadline) {
      return TurnEnd::kBudget;
    }
  }
}

size_t FileReader::reserve_for(size_t bytes) const { return bytes / bytes_per_line_ + 16; }

// One pread into the free space of the current chunk, framing, and at most one batch.
FileReader::Step FileReader::read_once(ReadEnv& env) {
  char* buf = env.chunk.free_ptr();
  const size_t cap = env.chunk.free_bytes();
  const bool untouched = env.chunk.untouched();
  const ssize_t got = sys_.pread(fd_, buf, cap, static_cast<off_t>(offset_));
  if (got < 0) {
    if (errno == EINTR) return Step::kMore;
    spdlog::warn("tail: read {}: {}", path_, ::strerror(errno));
    env.metrics.read_errors.inc();
    return Step::kError;
  }
  const auto n = static_cast<size_t>(got);
  if (n > 0) last_active_ = sys_.mono_now_ns();
  if (offset_ + n > read_end_) {
    read_end_ = offset_ + n;
    last_data_ = last_active_;
  }
  const bool eof = n < cap;
  if (n == 0 && !skipping_) return Step::kEof;
  size_t lead = 0;  // bytes that finish a line being skipped
  if (skipping_) {
    const void* nl = std::memchr(buf, '\n', n);
    if (nl == nullptr) {
      offset_ += n;
      return eof ? finish_skip_at_eof(env) : Step::kMore;
    }
    lead = static_cast<size_t>(static_cast<const char*>(nl) - buf) + 1;
    skipping_ = false;
  }
  auto batch = std::make_unique<Batch>();
  // Lines are framed into the batch, or into scratch space when they are joined into it.
  std::vector<Event>& lines = env.multiline != nullptr ? env.multiline->lines : batch->events;
  lines.clear();
  lines.reserve(reserve_for(n - lead));
  const FrameResult fr = frame_lines(buf + lead, n - lead, offset_ + lead, env.max_line, lines);
  uint64_t truncated = fr.truncated;
  bool partial_held = false;
  size_t used =
      take_partial(env, buf, n, lead + fr.consumed, eof, lines, &truncated, &partial_held);
  Step next = eof ? Step::kEof : Step::kMore;
  if (env.multiline != nullptr) {
    used = join(env, used, eof, eof && env.once && !partial_held, untouched, *batch);
  }
  if (used < n && !eof) {
    // The buffer filled up mid-line (or mid-event): read it again from its start into a fresh
    // chunk, or into a larger buffer when it already had the whole buffer to itself.
    // (Re-reading costs the same one pread as copying the partial bytes would, and keeps the
    // line contiguous.)
    next = used == 0 && untouched ? Step::kNeedBig : Step::kNeedFresh;
  }
  if (used == 0) return next;
  env.chunk.commit(used);
  offset_ += used;
  if (!emit(env, std::move(batch), offset_, truncated)) return Step::kStopped;
  return next;
}

// The bytes after the last '\n' of a read of `n` bytes, `used` of them framed: a line already
// too long has its head emitted and the rest skipped; with --once at EOF a last line without its
// newline is emitted (once_partial_line: emit) or held (`*held`, logged once). Returns the bytes
// used.
size_t FileReader::take_partial(ReadEnv& env, const char* buf, size_t n, size_t used, bool eof,
                                std::vector<Event>& lines, uint64_t* truncated, bool* held) {
  const size_t partial = n - used;
  if (partial > env.max_line) {
    // Already too long: emit its head now and skip the rest up to the next '\n'.
    lines.push_back(
        Event{std::string_view(buf + used, env.max_line), offset_ + used, kEventTruncated, 0});
    ++*truncated;
    used = n;
    skipping_ = true;
  } else if (partial > 0 && eof && env.once && env.once_emit_partial) {
    lines.push_back(
        Event{std::string_view(buf + used, partial), offset_ + used, kEventNoNewline, 0});
    used = n;
  }
  // --once, holding a last line without its newline: a multiline event before it is held too
  // (that line may continue it), so the next run joins them as one event.
  *held = partial > 0 && eof && env.once && used < n && !skipping_;
  if (*held && offset_ + used != held_logged_) {
    held_logged_ = offset_ + used;
    spdlog::info(
        "tail: {}: its last line has no newline yet ({} bytes); held for the next run "
        "(once_partial_line: emit sends it)",
        path_, partial);
  }  // at EOF: a partial line is held; the next turn (or run) reads it again from its start
  return used;
}

// Joins the framed lines into `batch`; returns the bytes the batch covers (up to the held lines).
size_t FileReader::join(ReadEnv& env, size_t used, bool eof, bool flush_at_eof, bool untouched,
                        Batch& batch) {
  MultilineJoiner& joiner = env.multiline->joiner;
  joiner.reset();
  batch.events.reserve(env.multiline->lines.size());
  for (const Event& line : env.multiline->lines) joiner.push(line, batch.events);
  if (flush_at_eof) joiner.flush(FlushReason::kEof, batch.events);
  if (joiner.pending() && !eof && joiner.pending_offset() == offset_ && untouched &&
      env.chunk.capacity() >= env.buffer_limit()) {
    joiner.flush(FlushReason::kMaxBytes, batch.events);  // the buffer cannot grow: cut here
  }
  env.metrics.add(joiner.counts());
  if (!joiner.pending()) {
    held_end_ = 0;
    return used;
  }
  held_end_ = offset_ + used;
  return static_cast<size_t>(joiner.pending_offset() - offset_);
}

TurnEnd FileReader::flush_held(ReadEnv& env) {
  if (!holding() || env.multiline == nullptr || fd_ < 0) return TurnEnd::kEof;
  const auto want = static_cast<size_t>(held_end_ - offset_);
  if (env.chunk.free_bytes() < want &&
      !env.chunk.fresh(std::max(want, env.chunk.pool().chunk_bytes()))) {
    return TurnEnd::kStopped;
  }
  char* buf = env.chunk.free_ptr();
  for (size_t got = 0; got < want;) {
    const ssize_t r = sys_.pread(fd_, buf + got, want - got, static_cast<off_t>(offset_ + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {  // still held: the caller tries again later
      spdlog::warn("tail: read {}: {}", path_, ::strerror(errno));
      env.metrics.read_errors.inc();
      return TurnEnd::kError;
    }
    if (r == 0) {  // shrank: the next sync() sorts it out
      held_end_ = 0;
      return TurnEnd::kError;
    }
    got += static_cast<size_t>(r);
  }
  MultilineEnv& ml = *env.multiline;
  ml.lines.clear();
  const FrameResult fr = frame_lines(buf, want, offset_, env.max_line, ml.lines);
  held_end_ = 0;
  if (fr.consumed == 0) return TurnEnd::kEof;  // rewritten under us: sync() sorts it out
  auto batch = std::make_unique<Batch>();
  ml.joiner.reset();
  for (const Event& line : ml.lines) ml.joiner.push(line, batch->events);
  ml.joiner.flush(FlushReason::kFlushAfter, batch->events);
  env.metrics.add(ml.joiner.counts());
  env.chunk.commit(fr.consumed);
  offset_ += fr.consumed;
  if (!emit(env, std::move(batch), offset_, fr.truncated)) return TurnEnd::kStopped;
  return TurnEnd::kEof;
}

// --once and the file ended inside a line being skipped: cover the skipped bytes.
FileReader::Step FileReader::finish_skip_at_eof(ReadEnv& env) {
  if (!env.once || offset_ == covered_) return Step::kEof;
  skipping_ = false;
  if (!emit(env, std::make_unique<Batch>(), offset_, 0)) return Step::kStopped;
  return Step::kEof;
}

bool FileReader::emit(ReadEnv& env, BatchPtr batch, uint64_t end, uint64_t truncated) {
  if (!source_) {
    if (!described_ && env.source_fields) source_fields_ = env.source_fields(path_);
    described_ = true;
    source_ = std::make_shared<const SourceInfo>(path_, source_fields_);
  }
  batch->source = source_;
  batch->state = state_;
  batch->generation = generation_;
  batch->begin = covered_;
  batch->end = end;
  batch->read_time_ns = sys_.real_now_ns();
  batch->read_mono_ns = sys_.mono_now_ns();
  if (!batch->events.empty()) {
    batch->chunks.push_back(env.chunk.ref());
    bytes_per_line_ =
        std::max<size_t>(8, static_cast<size_t>(end - covered_) / batch->events.size());
  }
  if (truncated > 0) env.metrics.lines_truncated.add(static_cast<double>(truncated));
  covered_ = end;
  return env.ctx.emit(std::move(batch));
}

}  // namespace logagent::plugins::tail
