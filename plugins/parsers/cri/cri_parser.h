// The "cri" parser stage: container log lines written by containerd and CRI-O (the kubelet's
// /var/log/pods/.../N.log), `<RFC3339Nano time> <stdout|stderr> <P|F> <message>`.
//
// Each line becomes fields `time` and `stream`, and the event's message is narrowed to the
// message part (a view, no copy). The tag may carry more `:`-separated parts after P/F (the CRI
// spec allows it); they are ignored. A line without the four parts, with another stream, or with
// a tag not starting with P or F is a parse error ("cri: ...").
//
// Partial lines. The runtime splits a long line (over 16 KiB by default) into `P` lines ended by
// an `F` line. The P lines of a stream and the F line that ends them become one event, within a
// batch and across the batches of one file (plugins/common/partial_joiner.h: the joined message
// is copied into the batch's arena, its time and stream are those of the first P line; a line
// still open at a batch's end is carried to the file's next batch, and that batch's
// acknowledgement holds the checkpoint before it). Option `max_bytes` (1 MiB): a line reaching it
// is emitted flagged truncated and the rest follows as another event; a line still open when its
// file ends is emitted with the field `_partial: true`. Nothing is dropped.
//
// Threads: a stage instance serves one lane.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "agent/api/plugin.h"
#include "plugins/common/parser_stage.h"
#include "plugins/common/partial_joiner.h"
#include "plugins/parsers/cri/cri_options.h"

namespace logagent::plugins::cri {

// One line: fields time and stream, message narrowed; records each event's stream and P/F tag
// for the joining pass (by event index, see begin_batch()).
class CriParser final : public FieldParser {
 public:
  enum Tag : uint8_t {
    kNone = kPartialNone,      // not parsed (error, dropped, or no source field)
    kParsed = kPartialParsed,  // parsed; the bits below describe it
    kStderr = kPartialStderr,  // else stdout
    kPartial = kPartialPiece,  // P, else F
  };

  // Prepares for a batch of `events` events.
  void begin_batch(size_t events) { tags_.assign(events, kNone); }
  const std::vector<uint8_t>& tags() const { return tags_; }
  const char* parse(std::string_view text, FieldWriter& out) override;

 private:
  std::vector<uint8_t> tags_;
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
