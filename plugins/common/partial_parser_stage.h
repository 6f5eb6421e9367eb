// PartialParserStage: the stage of a parser whose lines a container runtime may split into
// pieces (the cri and docker stages): each batch is parsed (parser_stage.h: parse_batch, on_error,
// the target field) and its pieces are then joined (partial_joiner.h), within the batch and
// across the batches of one source -- so the stage carries() events. It counts
// logagent_parser_events_total{result=ok|error} once per batch.
//
// `Parser` is a FieldParser that records a PartialTag per event for the joiner:
//   void begin_batch(size_t events);            // before a batch of `events` events
//   const std::vector<uint8_t>& tags() const;   // PartialTag bits, by event index
//
// Threads: a stage instance serves one lane.
#pragma once

#include <cstdint>
#include <utility>

#include "agent/api/batch.h"
#include "agent/api/plugin.h"
#include "plugins/common/parser_stage.h"
#include "plugins/common/partial_joiner.h"

namespace logagent {

template <typename Parser>
class PartialParserStage final : public Stage {
 public:
  // `fields_per_event`: the first batch's reservation hint (parse_batch() then keeps it).
  PartialParserStage(ParseSettings settings, uint64_t max_bytes, const MetricsScope& metrics,
                     double fields_per_event)
      : settings_(std::move(settings)),
        joiner_(max_bytes),
        counters_(metrics),
        fields_per_event_(fields_per_event) {}

  void process(Batch& batch) override {
    parser_.begin_batch(batch.events.size());
    const ParseCounts counts = parse_batch(batch, settings_, parser_, fields_per_event_);
    joiner_.join(batch, parser_.tags());
    counters_.add(counts);
  }
  bool carries() const override { return true; }

 private:
  const ParseSettings settings_;
  Parser parser_;
  PartialJoiner joiner_;
  ParserCounters counters_;
  double fields_per_event_;
};

}  // namespace logagent
