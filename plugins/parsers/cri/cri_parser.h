// The "cri" parser stage: container log lines written by containerd and CRI-O (the kubelet's
// /var/log/pods/.../N.log), `<RFC3339Nano time> <stdout|stderr> <P|F> <message>`.
//
// Each line becomes fields `time` and `stream`, and the event's message is narrowed to the
// message part (a view, no copy). The tag may carry more `:`-separated parts after P/F (the CRI
// spec allows it); they are ignored. A line without the four parts, with another stream, or with
// a tag not starting with P or F is a parse error ("cri: ...").
//
// Partial lines. The runtime splits a long line (over 16 KiB by default) into `P` lines ended by
// an `F` line. Within a batch, the P lines of a stream and the F line that ends them become one
// event: its message is their contents joined (copied into the batch's arena), its time and
// stream those of the first P line, and it stays at the position of the first P line; the other
// lines are flagged kEventDropped (they still count as acknowledged). Lines of the other stream
// may come in between.
//
// Gap, by design for now: a P..F sequence is NOT joined across batches. P lines still pending at
// the end of a batch are joined among themselves and emitted as one event with the field
// `_partial: true`; the F line (and any P lines before it) in the next batch come out as another
// event, without that field. So one long line may be delivered as two or more events, each
// flagged or complete, never lost and never duplicated. Joining across batches would need the
// stage to keep content of batch N until batch N+1 arrives while batch N is acknowledged (its
// offsets checkpointed) independently: a crash between the two would lose the held content, since
// a restart resumes after batch N. Doing it safely needs the input to cut batches on F lines (or
// the acknowledger to hold batch N's offsets until the F line's batch is acked).
//
// Threads: a stage instance serves one lane.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "agent/api/plugin.h"
#include "plugins/common/parser_stage.h"
#include "plugins/parsers/cri/cri_options.h"

namespace logagent::plugins::cri {

// One line: fields time and stream, message narrowed; records each event's stream and P/F tag
// for the joining pass (by event index, see begin_batch()).
class CriParser final : public FieldParser {
 public:
  enum Tag : uint8_t {
    kNone = 0,     // not parsed (error, dropped, or no source field)
    kParsed = 1,   // parsed; the bits below describe it
    kStderr = 2,   // else stdout
    kPartial = 4,  // P, else F
  };

  // Prepares for a batch of `events` events.
  void begin_batch(size_t events) { tags_.assign(events, kNone); }
  const std::vector<uint8_t>& tags() const { return tags_; }
  const char* parse(std::string_view text, FieldWriter& out) override;

 private:
  std::vector<uint8_t> tags_;
};

// Joins the partial lines of `batch` as described above, from the tags of `parser`.
class CriJoiner {
 public:
  void join(Batch& batch, const std::vector<uint8_t>& tags);

 private:
  void merge(Batch& batch, std::vector<size_t>& events, bool unfinished);
  std::vector<size_t> pending_[2];  // per stream: the P lines not yet ended (event indexes)
};

struct CriStage {
  static constexpr std::string_view kName = "cri";
  using Options = CriOptions;
  static Result<std::unique_ptr<Stage>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::cri

namespace logagent {
template <>
struct PluginMetrics<plugins::cri::CriStage> {
  static std::vector<MetricDef> defs() { return {kParserEvents}; }
};
}  // namespace logagent
