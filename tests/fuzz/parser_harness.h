// The common body of the parser fuzz targets: one input, run through a parser stage twice.
//
// run_parser_stage() makes a stage with on_error: keep and one with on_error: drop (through the
// plugin's public create()), runs each over its own InputBatch of the same bytes, destroys the
// stages, and then checks:
// - the keep run loses no event: every event is live, or was dropped only where the stage may
//   join lines (cri);
// - an event is a parse error in the keep run exactly when the drop run dropped it, and it then
//   carries "_error" as its last field;
// - otherwise both runs agree on the event: dropped flag, message, fields (the parser keeps no
//   state that leaks from one batch or one setting to the next);
// - views that point into the input stay inside their own event's line;
// - fields are well formed (fuzz_support.h) and the json encoding of the keep run is valid.
//
// Threads: one.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/api/plugin.h"
#include "fuzz_support.h"
#include "plugins/common/parser_stage.h"

namespace logagent::fuzz {

// The stage of plugin P with `options` (on_error set by the caller), which must be valid.
template <class P>
std::unique_ptr<Stage> make_stage(typename P::Options options) {
  PluginContext ctx;
  auto stage = P::create(options, ctx);
  FUZZ_CHECK(stage.is_ok(), stage.is_ok() ? "" : stage.message());
  return std::move(stage.value());
}

struct ParserExpect {
  bool may_join = false;  // the stage may drop events by joining them into another (cri)
};

inline void check_inside_line(const InputBatch& in, size_t i, std::string_view v,
                              const char* what) {
  if (!in.in_input(v) || v.empty()) return;
  const std::string_view line = in.lines[i];
  FUZZ_CHECK(v.data() >= line.data() && v.data() + v.size() <= line.data() + line.size(),
             std::string(what) + " of event " + std::to_string(i) + " views another line");
}

inline bool same_fields(const Batch& a, const Batch& b, size_t i) {
  const auto fa = fields_of(a, i);
  const auto fb = fields_of(b, i);
  if (fa.size() != fb.size()) return false;
  for (size_t k = 0; k < fa.size(); ++k) {
    if (fa[k].key != fb[k].key || fa[k].value != fb[k].value || fa[k].type != fb[k].type) {
      return false;
    }
  }
  return true;
}

// Checks a keep run and a drop run of the same input (see the top of this file).
inline void check_parser_runs(const InputBatch& keep, const InputBatch& drop, ParserExpect expect) {
  check_fields(keep.batch);
  check_fields(drop.batch);
  const size_t n = keep.batch.events.size();
  FUZZ_CHECK(drop.batch.events.size() == n, "event count changed");
  for (size_t i = 0; i < n; ++i) {
    const Event& k = keep.batch.events[i];
    const Event& d = drop.batch.events[i];
    const std::string at = "event " + std::to_string(i);
    if (!expect.may_join) FUZZ_CHECK((k.flags & kEventDropped) == 0, at + " lost with keep");
    check_inside_line(keep, i, k.message, "message");
    for (const Field& f : fields_of(keep.batch, i)) {
      check_inside_line(keep, i, f.key, "field key");
      check_inside_line(keep, i, f.value, "field value");
    }
    if (k.flags & kEventParseError) {
      FUZZ_CHECK((k.flags & kEventDropped) == 0, at + " both an error and dropped");
      const auto fields = fields_of(keep.batch, i);
      FUZZ_CHECK(!fields.empty() && fields.back().key == "_error", at + " error without _error");
      FUZZ_CHECK((d.flags & kEventDropped) != 0, at + " an error with keep, not dropped with drop");
      continue;
    }
    FUZZ_CHECK((d.flags & kEventParseError) == 0, at + " an error with drop only");
    FUZZ_CHECK((k.flags & kEventDropped) == (d.flags & kEventDropped), at + " dropped differs");
    if (k.flags & kEventDropped) continue;
    FUZZ_CHECK(k.message == d.message, at + " message differs between runs");
    FUZZ_CHECK(same_fields(keep.batch, drop.batch, i), at + " fields differ between runs");
  }
  check_encoding(keep.batch);
}

// `make(on_error)` makes the stage under test, with on_error keep, then drop. The stages are
// destroyed before the checks.
inline void run_parser_stage(const uint8_t* data, size_t size,
                             const std::function<std::unique_ptr<Stage>(OnError)>& make,
                             ParserExpect expect = {}) {
  InputBatch keep(data, size);
  InputBatch drop(data, size);
  {
    auto stage = make(OnError::kKeep);
    stage->process(keep.batch);
    stage = make(OnError::kDrop);
    stage->process(drop.batch);
  }  // stages destroyed: views into their buffers now dangle (ASan)
  check_parser_runs(keep, drop, expect);
}

// The same with stages kept across inputs (costly to make: regex); `keep_stage` and `drop_stage`
// have on_error keep and drop.
inline void run_parser_stages(const uint8_t* data, size_t size, Stage& keep_stage,
                              Stage& drop_stage, ParserExpect expect = {}) {
  InputBatch keep(data, size);
  InputBatch drop(data, size);
  keep_stage.process(keep.batch);
  drop_stage.process(drop.batch);
  check_parser_runs(keep, drop, expect);
}

}  // namespace logagent::fuzz
