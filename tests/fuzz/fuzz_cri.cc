// Fuzz target: the "cri" parser stage (plugins/parsers/cri) on lines of arbitrary bytes.
//
// Besides the common parser invariants (parser_harness.h; joined lines may be dropped), an
// oracle for the joining of partial lines, built from CriParser and PartialJoiner as the stage uses
// them: per stream, the live messages in event order, concatenated, are exactly the messages of
// the parsed lines of that stream concatenated (joining moves bytes, never loses, duplicates or
// reorders them), and only P lines and F lines that end them are absorbed. And the joining
// across batches (split_harness.h): the same lines cut into random batches give the output of
// one batch, with a small max_bytes so that truncation is cut across batches too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "parser_harness.h"
#include "plugins/parsers/cri/cri_parser.h"
#include "split_harness.h"

namespace {

using namespace logagent;
namespace cri = logagent::plugins::cri;

void check_joining(const uint8_t* data, size_t size) {
  fuzz::InputBatch in(data, size);
  cri::CriParser parser;
  PartialJoiner joiner(cri::CriOptions{}.max_bytes.bytes);
  ParseSettings settings;
  double hint = 2;
  parser.begin_batch(in.batch.events.size());
  const ParseCounts counts = parse_batch(in.batch, settings, parser, hint);
  FUZZ_CHECK(counts.ok + counts.error == in.batch.events.size(), "events not all counted");
  std::string before[2];
  const auto& tags = parser.tags();
  for (size_t i = 0; i < in.batch.events.size(); ++i) {
    const uint8_t t = tags[i];
    FUZZ_CHECK(((t & cri::CriParser::kParsed) != 0) ==
                   ((in.batch.events[i].flags & kEventParseError) == 0),
               "tag and parse result disagree");
    if (t & cri::CriParser::kParsed) {
      before[(t & cri::CriParser::kStderr) ? 1 : 0] += in.batch.events[i].message;
    }
  }
  joiner.join(in.batch, tags);
  std::string after[2];
  for (size_t i = 0; i < in.batch.events.size(); ++i) {
    const Event& e = in.batch.events[i];
    const uint8_t t = tags[i];
    if (!(t & cri::CriParser::kParsed)) {
      FUZZ_CHECK((e.flags & kEventDropped) == 0, "an unparsed line was absorbed");
      continue;
    }
    if (e.flags & kEventDropped) continue;
    after[(t & cri::CriParser::kStderr) ? 1 : 0] += e.message;
  }
  FUZZ_CHECK(before[0] == after[0], "stdout bytes changed by joining");
  FUZZ_CHECK(before[1] == after[1], "stderr bytes changed by joining");
  fuzz::check_fields(in.batch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::run_parser_stage(
      data, size,
      [](OnError on_error) {
        cri::CriOptions o;
        o.on_error = on_error;
        return fuzz::make_stage<cri::CriStage>(o);
      },
      fuzz::ParserExpect{.may_join = true});
  check_joining(data, size);
  fuzz::check_batch_splits(data, size, [] {
    cri::CriOptions o;
    o.max_bytes.bytes = 64;
    return fuzz::make_stage<cri::CriStage>(o);
  });
  return 0;
}
