// CheckpointStore: one pipeline's per-file committed offsets, saved atomically in data_dir.
//
// File format (text, versioned, self-checking):
//   logagent-checkpoint 2
//   <dev> <ino> <fp_len> <fp_hash:hex> <offset> <birth ns> <path, with \\ and \n escaped>
//   ...
//   end <entries> <fnv1a-64 of every preceding byte:hex>
// Version 1 (no <birth>; written before birth times were kept) is still read, as birth 0.
// Version 3, written only when an entry has a position (CheckpointEntry::position: an input whose
// place is not a byte offset), has "<position>" before the path: one token, "-" when empty, a
// backslash, newline, tab and space in it written \\, \n, \t and \s.
// save() writes "<file>.tmp", fsyncs it, renames it over the file and fsyncs the directory, so a
// crash leaves either the old or the new checkpoint, never a mix. load() of a file that fails its
// check (torn, edited, wrong version) sets it aside as "<file>.corrupt-<unix time>" ("-<n>" added
// when that name is taken: an earlier one is never overwritten) and reports it; the pipeline then
// starts as on a first run (at-least-once: it may resend, it never skips).
//
// Threads: one instance per pipeline, used by the pipeline's checkpoint thread and at shutdown;
// not thread-safe by itself.
#pragma once

#include <string>
#include <vector>

#include "agent/api/source.h"
#include "agent/api/status.h"

namespace logagent {

struct CheckpointLoad {
  std::vector<CheckpointEntry> entries;
  std::string problem;  // non-empty when the file was corrupt and was set aside
};

class CheckpointStore {
 public:
  explicit CheckpointStore(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  // Reads the checkpoint; a missing file is an empty, healthy load.
  Result<CheckpointLoad> load() const;
  Status save(const std::vector<CheckpointEntry>& entries) const {
    return save_text(serialize(entries));
  }
  // Writes `text` (what serialize() made) atomically: a temporary file, fsync, rename, fsync of
  // the directory.
  Status save_text(const std::string& text) const;

  static std::string serialize(const std::vector<CheckpointEntry>& entries);
  // Parses text produced by serialize(); an error names what is wrong.
  static Result<std::vector<CheckpointEntry>> parse(const std::string& text);

 private:
  std::string path_;
};

}  // namespace logagent
