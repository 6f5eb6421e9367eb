// Sources: what a file is (its identity), how far it was delivered (a checkpoint record), and the
// handle through which an input tells the pipeline about the files it reads (SourceTracker).
//
// A file is identified by (device, inode) plus a fingerprint: a 64-bit hash of its first
// `fp_len` bytes. The fingerprint grows with the file up to kFingerprintCap, so small files and
// files that share their first line are still told apart, and a reused inode holding other
// content is seen as a new file.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace logagent {

inline constexpr uint32_t kFingerprintCap = 1024;

// 64-bit FNV-1a. Stable across versions: it is stored in checkpoint files.
inline uint64_t fingerprint_hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t fp_len = 0;   // bytes hashed (0: empty file so far)
  uint64_t fp_hash = 0;  // fingerprint_hash of the first fp_len bytes
  // When the file was created (statx btime, ns since the epoch; 0: the filesystem does not say).
  // With the inode it names one file whatever its bytes become: an inode number is reused, an
  // inode and birth time are not.
  int64_t birth = 0;

  bool same_inode(const FileIdentity& o) const { return dev == o.dev && ino == o.ino; }
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// One line of a checkpoint file: the identity, the path it was last seen at, and the offset up
// to which every byte was acknowledged by every sink. An input whose place is not a byte offset
// (journald: a journal cursor) keeps it in `position`, opaque to the core: the position of the
// last batch acknowledged (Batch::position), empty when none was.
struct CheckpointEntry {
  FileIdentity id;
  uint64_t offset = 0;
  std::string path;
  std::string position{};  // (a default initialiser: brace-inits may leave it out)
};

// One file (or other source: a journal) as the pipeline tracks it for acknowledgements, shared by
// every batch read from it (Batch::state). Opened by SourceTracker::open() and owned by the
// pipeline: an input sees only its id and tells it the file's current size (for the bytes-behind
// metric). Thread-safe.
class SourceState {
 public:
  SourceState(const SourceState&) = delete;
  SourceState& operator=(const SourceState&) = delete;

  uint64_t id() const { return id_; }  // unique within the agent's run; selects the lane
  // The tracker whose open() made it: only that tracker may be handed it back.
  const class SourceTracker* tracker() const { return tracker_; }
  void observe_size(uint64_t size) { size_.store(size, std::memory_order_relaxed); }
  uint64_t observed_size() const { return size_.load(std::memory_order_relaxed); }

 protected:
  SourceState(uint64_t source_id, const SourceTracker* tracker)
      : id_(source_id), tracker_(tracker) {}
  ~SourceState() = default;  // destroyed as the pipeline's own type (shared_ptr keeps it)

 private:
  const uint64_t id_;
  const SourceTracker* const tracker_;
  std::atomic<uint64_t> size_{0};
};

// The input's side of acknowledgement (InputContext::sources()): it opens a SourceState for
// each file it reads, and says when the file was renamed, truncated or is done with. The pipeline
// records the batches and moves the checkpoint. Thread-safe; called per file event, never per
// line.
class SourceTracker {
 public:
  virtual ~SourceTracker() = default;
  // Tracks a file whose bytes below `offset` are already delivered (the previous run's entry for
  // its dev and inode, if any, is claimed by it).
  std::shared_ptr<SourceState> open(const FileIdentity& id, std::string path, uint64_t offset) {
    return open(id, std::move(path), offset, std::string());
  }
  // The same for an input whose place is a position (Batch::position): `position` is what its
  // checkpoint entry holds until a batch of the source that carries one is acknowledged.
  virtual std::shared_ptr<SourceState> open(const FileIdentity& id, std::string path,
                                            uint64_t offset, std::string position) = 0;
  // The fingerprint grew or the file was found under another name.
  virtual void update(SourceState& s, const FileIdentity& id, const std::string& path) = 0;
  // Truncation or replacement: a new generation that starts (committed) at `offset`. Returns
  // the generation number the input stamps on the file's later batches (Batch::generation).
  virtual uint64_t restart(SourceState& s, uint64_t offset) = 0;
  // The input is finished with the file for good (deleted and drained, or abandoned). Its
  // checkpoint entry disappears once its pending batches are settled. Called on the input
  // thread, like InputContext::emit: the pipeline may hand the file's lane its last batch
  // (Batch::source_end) and wait for room as emit does.
  virtual void forget(SourceState& s) = 0;
};

}  // namespace logagent
