// PartialParserStage over a parser of its own: "P:text" is a piece the next line of its stream
// continues, "F:text" ends a line; "E:" makes the piece stderr's; anything else is a parse error.
#include "plugins/common/partial_parser_stage.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "plugins/parsers/parser_test_support.h"

namespace logagent {
namespace {

class TaggingParser final : public FieldParser {
 public:
  void begin_batch(size_t events) { tags_.assign(events, kPartialNone); }
  const std::vector<uint8_t>& tags() const { return tags_; }
  const char* parse(std::string_view text, FieldWriter& out) override {
    uint8_t tag = kPartialParsed;
    if (text.starts_with("E:")) {
      tag |= kPartialStderr;
      text.remove_prefix(2);
    }
    if (text.starts_with("P:")) {
      tag |= kPartialPiece;
    } else if (!text.starts_with("F:")) {
      return "toy: no tag";
    }
    out.set_message(text.substr(2));
    if (out.event_index() < tags_.size()) tags_[out.event_index()] = tag;
    return nullptr;
  }

 private:
  std::vector<uint8_t> tags_;
};

std::vector<std::string> live(const Batch& batch) {
  std::vector<std::string> out;
  for (const Event& e : batch.events) {
    if (!(e.flags & kEventDropped)) out.emplace_back(e.message);
  }
  return out;
}

std::unique_ptr<Stage> make_stage(uint64_t max_bytes = 1024) {
  return std::make_unique<PartialParserStage<TaggingParser>>(ParseSettings{}, max_bytes,
                                                             MetricsScope(), 1);
}

}  // namespace

TEST_CASE("a partial parser stage parses every event, then joins the pieces of each stream") {
  testing::LineBatch lb({"P:ab", "E:F:oops", "P:cd", "F:ef", "junk"});
  auto stage = make_stage();
  CHECK(stage->carries());
  stage->process(lb.batch);
  CHECK(live(lb.batch) == std::vector<std::string>{"abcdef", "oops", "junk"});
  CHECK((lb.batch.events[4].flags & kEventParseError) != 0);
}

TEST_CASE("a partial parser stage keeps its parser's tags apart per batch") {
  auto stage = make_stage();
  testing::LineBatch first({"P:one", "F:two"});
  stage->process(first.batch);
  CHECK(live(first.batch) == std::vector<std::string>{"onetwo"});
  // The first event is a parse error: it must not pass for the piece the last batch's was.
  testing::LineBatch second({"junk", "F:three"});
  stage->process(second.batch);
  CHECK(live(second.batch) == std::vector<std::string>{"junk", "three"});
}

TEST_CASE("a partial parser stage cuts a line at max_bytes, flagged truncated, never dropped") {
  testing::LineBatch lb({"P:abcd", "P:efgh", "F:ij"});
  make_stage(6)->process(lb.batch);
  const std::vector<std::string> out = live(lb.batch);
  std::string joined;
  for (const std::string& s : out) joined += s;
  CHECK(joined == "abcdefghij");
  CHECK(out.size() > 1);
  bool truncated = false;
  for (const Event& e : lb.batch.events) {
    if (!(e.flags & kEventDropped) && (e.flags & kEventTruncated)) truncated = true;
  }
  CHECK(truncated);
}

}  // namespace logagent
