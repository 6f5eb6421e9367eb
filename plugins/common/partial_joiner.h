// Joining the partial lines of container runtimes, for the cri and docker parser stages.
//
// A runtime splits a long line (16 KiB by default) into pieces: CRI writes `P` lines ended by an
// `F` line, Docker's json-file writes records whose `log` lacks the final "\n", ended by one that
// has it. The parser tags each event (PartialTag: parsed, stderr, partial); PartialJoiner then
// joins, per stream, the pieces of one line into one event: its message is their contents joined
// (copied into the batch's arena), its fields, offset and time those of the first piece; the
// other pieces are flagged kEventDropped. Lines of the other stream, and unparsed lines, may come
// in between.
//
// Across batches. Pieces still open at the end of a batch are carried to the source's next batch
// (Batch::state identifies the source): their bytes and the first piece's fields are copied into
// the joiner, their events are dropped from this batch, and the batch's carried_from is set to
// the first carried piece's offset, so acknowledging this batch moves the checkpoint no further
// than the start of the unfinished line -- or of an earlier line of the other stream that was
// open when it began (a restart there would read that line's tail alone: a fragment). The source's
// next batch emits the joined line (at its first piece in that batch) and moves the checkpoint past
// it when acknowledged.
//
// Limits, never a drop: a line whose joined pieces reach `max_bytes` is emitted at once, flagged
// kEventTruncated; the pieces after it start a new event (as multiline's max_bytes). A line still
// open when its source ends (Batch::source_end: deleted and drained, or --once at EOF) is
// emitted with the field `_partial: true`, in the source_end batch. A batch of a new generation
// (the file was truncated) first emits what the old one carried, flagged the same way, at its end.
// A batch without a source state (tests, tools) stands alone: what is open at its end is emitted
// there, flagged `_partial`.
//
// Failure modes considered (the delivery contract is at least once, nothing split or lost):
// - kill -9 while a line is carried: the checkpoint is at most at its first piece (carried_from),
//   so the restart reads every piece again and joins them whole. Lines of the other stream after
//   that offset, delivered with the earlier batch, are delivered again (at least once).
// - the other stream's line open when the carried one began, and finished since: the checkpoint
//   is held at that line's start too (Run::safe), else a restart would read its tail alone (seen
//   in tests/e2e/test_container_joins.py). The cost: while both streams keep overlapping long
//   lines, the held offset stays at the first of them, and a crash re-sends all since.
// - the earlier batch fails or is still retried: the checkpoint stops before it anyway; the joined
//   line may then be delivered again after a restart (at least once), never lost.
// - the source ends (pod deleted, file forgotten) with a line open: emitted flagged `_partial`
//   on the source_end batch; the source leaves the checkpoint only once that batch is delivered.
// - a container restart writes a new file (a new source): its lines never join the old file's.
// - many sources with an open line: each holds at most max_bytes plus one piece per stream, and
//   only until its next batch arrives (a runtime writes the pieces of a line at once).
//
// Threads: one joiner per stage instance, which serves one lane.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/api/batch.h"

namespace logagent {

// What a parser records per event for the joiner (bits).
enum PartialTag : uint8_t {
  kPartialNone = 0,    // not parsed (error, dropped, no source field): never joined
  kPartialParsed = 1,  // parsed; the bits below describe it
  kPartialStderr = 2,  // else stdout
  kPartialPiece = 4,   // a piece that the next one of its stream continues (P, no final "\n")
};

class PartialJoiner {
 public:
  explicit PartialJoiner(uint64_t max_bytes) : max_bytes_(max_bytes == 0 ? 1 : max_bytes) {}

  // Joins the pieces of `batch`, whose event i has tag tags[i] (events past tags.size() are
  // left alone), carrying or emitting what is open at its end as described above.
  void join(Batch& batch, const std::vector<uint8_t>& tags);

  // Sources with pieces carried to their next batch.
  size_t carrying() const { return carried_.size(); }

 private:
  struct OwnedField {
    std::string key;
    std::string value;
    FieldType type;
  };
  // The start of a line from earlier batches of the source.
  struct Carried {
    bool open = false;
    std::string bytes;
    std::vector<OwnedField> fields;  // the first piece's
    uint64_t offset = 0;
    uint64_t safe = 0;  // where a restart may begin (Run::safe)
    uint32_t flags = 0;
    int64_t time = 0;
    std::shared_ptr<const SourceInfo> source;
  };
  // A line being joined in the current batch (per stream).
  struct Run {
    Carried carried;
    std::vector<size_t> events;
    uint64_t bytes = 0;  // carried and in this batch
    // Where a restart may begin and still read this line and every line open beside it whole:
    // its first byte, or the other stream's `safe` when that one was open as this one began.
    uint64_t safe = 0;
  };
  struct SourceCarry {
    uint64_t generation = 0;
    Carried streams[2];
  };

  void restore(Batch& batch, uint64_t id);
  void finish(Batch& batch, Run& run, uint32_t flags, bool unfinished);
  void carry(Batch& batch, Run& run, Carried& out);
  void replace_fields(Batch& batch, size_t event, const Carried& c);
  size_t append_event(Batch& batch, const Carried& c);

  uint64_t max_bytes_;
  Run runs_[2];                                        // stdout, stderr; empty between batches
  std::unordered_map<uint64_t, SourceCarry> carried_;  // by source id
};

}  // namespace logagent
