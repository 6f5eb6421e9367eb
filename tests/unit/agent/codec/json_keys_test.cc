#include "agent/codec/json_keys.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace logagent;
using namespace logagent::json_detail;

namespace {

// The indices of the fields RepeatedKeys lets through (written), in order.
std::vector<size_t> written(const std::vector<Field>& fields) {
  RepeatedKeys repeated;
  for (size_t i = 0; i < fields.size(); ++i) repeated.add(i, fields[i].key);
  std::vector<size_t> out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!repeated.superseded(fields, i, is_metadata_key(fields[i].key))) out.push_back(i);
  }
  return out;
}

}  // namespace

TEST_CASE("metadata keys are the five the json output writes itself") {
  for (const char* key : {"time", "file", "offset", "message", "truncated"}) {
    CHECK(is_metadata_key(key));
  }
  for (const char* key : {"", "_time", "Time", "msg", "messages", "trunc"}) {
    CHECK_FALSE(is_metadata_key(key));
  }
}

TEST_CASE("keys written alike hash alike") {
  CHECK(key_hash("message") == key_hash("_message"));  // "message" is written "_message"
  CHECK(key_hash("k\xFF") == key_hash("k\xEF\xBF\xBD"));
  CHECK(key_hash("\xFF") == key_hash("\xEF\xBF\xBD"));
  CHECK(key_hash("time") == key_hash("_time"));
}

TEST_CASE("only the last field of each written key is written, with many fields too") {
  CHECK(written({}).empty());
  CHECK(written({{"a", "1"}}) == std::vector<size_t>{0});
  RepeatedKeys distinct;
  const std::vector<Field> fields3 = {{"a", "1"}, {"b", "2"}, {"_c", "3"}, {"c", "4"}};
  for (size_t i = 0; i < fields3.size(); ++i) distinct.add(i, fields3[i].key);
  CHECK_FALSE(distinct.any(fields3));  // "_c" and "c" hash alike, but are two keys
  CHECK(written({{"a", "1"}, {"b", "2"}, {"a", "3"}}) == std::vector<size_t>{1, 2});
  CHECK(written({{"message", "1"}, {"_message", "2"}}) == std::vector<size_t>{1});
  CHECK(written({{"_time", "1"}, {"time", "2"}, {"_time", "3"}}) == std::vector<size_t>{2});
  CHECK(written({{"_x", "1"}, {"x", "2"}}) == std::vector<size_t>{0, 1});  // not metadata
  // Past the hashes kept on the stack: 40 distinct keys, then the first and the 35th again.
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back("key" + std::to_string(i));
  std::vector<Field> fields;
  for (const std::string& k : keys) fields.push_back({k, "v"});
  fields.push_back({keys[0], "again"});
  fields.push_back({keys[35], "again"});
  const std::vector<size_t> w = written(fields);
  RepeatedKeys repeated;
  for (size_t i = 0; i < fields.size(); ++i) repeated.add(i, fields[i].key);
  CHECK(repeated.any(fields));
  CHECK(w.size() == 40);
  CHECK(w.front() == 1);
  CHECK(std::find(w.begin(), w.end(), 35) == w.end());
  CHECK(w.back() == 41);
}
