// plugins/common/field_edit.h: field lookup, in-place edits and span relocation.
#include "plugins/common/field_edit.h"

#include <doctest/doctest.h>

#include "plugins/processors/processor_test_support.h"

using namespace logagent;
using logagent::testing::fields_text;
using logagent::testing::ProcBatch;

TEST_CASE("field_value reads the message and the last field of a name") {
  ProcBatch b({"line one", "line two"});
  b.set_fields(0, {{"a", "1"}, {"a", "2"}, {"b", "x"}});
  CHECK(field_value(b.batch, 0, "message") == "line one");
  CHECK(field_value(b.batch, 0, "a") == "2");
  CHECK_FALSE(field_value(b.batch, 0, "c").has_value());
  CHECK_FALSE(field_value(b.batch, 1, "a").has_value());
  CHECK(field_value(b.batch, 1, "message") == "line two");
}

TEST_CASE("appending to an event that is not last relocates its fields to the end") {
  ProcBatch b({"e0", "e1"});
  b.set_fields(0, {{"a", "1"}, {"b", "2"}});
  b.set_fields(1, {{"c", "3"}});
  append_event_field(b.batch, 0, Field{"new", "v", FieldType::kString});
  CHECK(fields_text(b.batch, 0) == "a=1,b=2,new=v");
  CHECK(fields_text(b.batch, 1) == "c=3");
  CHECK(b.batch.spans[0].begin == 3);
  CHECK(b.batch.spans[0].begin + b.batch.spans[0].count == b.batch.fields.size());
}

TEST_CASE("appending to the last event or to an event without fields does not copy") {
  ProcBatch b({"e0", "e1", "e2"});
  b.set_fields(0, {{"a", "1"}});
  append_event_field(b.batch, 0, Field{"b", "2", FieldType::kString});
  CHECK(b.batch.fields.size() == 2);
  append_event_field(b.batch, 2, Field{"c", "3", FieldType::kString});
  CHECK(b.batch.fields.size() == 3);
  CHECK(fields_text(b.batch, 0) == "a=1,b=2");
  CHECK(fields_text(b.batch, 1).empty());
  CHECK(fields_text(b.batch, 2) == "c=3");
}

TEST_CASE("spans are created for a batch that had no parsed fields") {
  ProcBatch b({"e0", "e1"});
  append_event_field(b.batch, 1, Field{"k", "v", FieldType::kString});
  REQUIRE(b.batch.spans.size() == 2);
  CHECK(fields_text(b.batch, 0).empty());
  CHECK(fields_text(b.batch, 1) == "k=v");
}

TEST_CASE("relocating many events in a row keeps every event's fields intact") {
  std::vector<std::string> lines(50, "x");
  ProcBatch b(lines);
  for (size_t i = 0; i < lines.size(); ++i) b.set_fields(i, {{"i", std::to_string(i)}});
  for (size_t i = 0; i < lines.size(); ++i) {
    append_event_field(b.batch, i, Field{"j", "y", FieldType::kString});
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK(fields_text(b.batch, i) == "i=" + std::to_string(i) + ",j=y");
  }
}

TEST_CASE("set_event_field overwrites the last field of the name, else appends") {
  ProcBatch b({"e0"});
  b.set_fields(0, {{"a", "1"}, {"a", "2"}});
  set_event_field(b.batch, 0, Field{"a", "3", FieldType::kString});
  set_event_field(b.batch, 0, Field{"b", "4", FieldType::kString});
  CHECK(fields_text(b.batch, 0) == "a=1,a=3,b=4");
}

TEST_CASE("remove_event_field removes every field of the name and keeps the order") {
  ProcBatch b({"e0", "e1"});
  b.set_fields(0, {{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", "4"}});
  CHECK(remove_event_field(b.batch, 0, "a") == 2);
  CHECK(fields_text(b.batch, 0) == "b=2,c=4");
  CHECK(remove_event_field(b.batch, 1, "a") == 0);
}

TEST_CASE("stable_hash is fixed across runs and spreads values") {
  CHECK(stable_hash("abc") == stable_hash(std::string("abc")));
  CHECK(stable_hash("abc") != stable_hash("abd"));
  CHECK(stable_hash("") == stable_hash(""));
}

TEST_CASE("field_value falls back to a source field, which edits and find_field do not see") {
  ProcBatch b({"e0", "e1"});
  b.batch.source = std::make_shared<SourceInfo>(
      "/p", std::vector<SourceField>{{"k8s.namespace", "ns", FieldType::kString},
                                     {"k8s.restart_count", "2", FieldType::kNumber}});
  b.set_fields(0, {{"k8s.namespace", "own"}});
  CHECK(field_value(b.batch, 0, "k8s.namespace") == "own");
  CHECK(field_value(b.batch, 1, "k8s.namespace") == "ns");
  CHECK(field_value(b.batch, 1, "k8s.restart_count") == "2");
  CHECK(field_value(b.batch, 1, "message") == "e1");
  CHECK(find_field(b.batch, 1, "k8s.namespace") == kNoField);
  CHECK(remove_event_field(b.batch, 1, "k8s.namespace") == 0);
  CHECK(field_value(b.batch, 1, "k8s.namespace") == "ns");  // the source's, not the event's
}
