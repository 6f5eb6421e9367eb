#include "agent/codec/json_string.h"

#include <doctest/doctest.h>

#include <string>

using namespace logagent;

TEST_CASE("a JSON string literal escapes what JSON requires and appends to what is there") {
  std::string out = "x=";
  append_json_string(out, "a\"b\\c\n\x01\xC3\xA9\xFF");
  CHECK(out == "x=\"a\\\"b\\\\c\\n\\u0001\xC3\xA9\xEF\xBF\xBD\"");
  std::string big;
  append_json_string(big, std::string(100000, 'a'));
  CHECK(big == "\"" + std::string(100000, 'a') + "\"");
}

TEST_CASE("two texts are the same JSON string when equal once invalid UTF-8 is U+FFFD") {
  CHECK(same_json_text("", ""));
  CHECK(same_json_text("level", "level"));
  CHECK_FALSE(same_json_text("level", "Level"));
  CHECK_FALSE(same_json_text("a", "ab"));
  CHECK(same_json_text("k\xFF", "k\xFE"));          // each byte becomes U+FFFD
  CHECK(same_json_text("k\xFF", "k\xEF\xBF\xBD"));  // U+FFFD written as it is
  CHECK(same_json_text("\xC3\xA9\xFF!", "\xC3\xA9\x80!"));
  CHECK_FALSE(same_json_text("k\xFF\xFF", "k\xFF"));    // two replacements, not one
  CHECK_FALSE(same_json_text("\xC3\xA9", "\xC3\xA8"));  // valid sequences compare as they are
  CHECK_FALSE(same_json_text("\xC3", "\xC3\xA9"));      // a cut sequence is not the whole one
}

TEST_CASE("UTF-8 is checked and repaired by the rule of the json strings") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii, longer than eight bytes"));
  CHECK(is_valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("twelve bytes\xFF"));
  CHECK_FALSE(is_valid_utf8("\xC3"));          // truncated
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));  // surrogate
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));      // overlong
  std::string out = "x";
  append_valid_utf8(out, "bad \xFF \xC3 \xED\xA0\x80 end \xE2\x82\xAC");
  CHECK(out ==
        "xbad \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end \xE2\x82\xAC");
}
