// EncodeSpec: two sinks that want the same bytes share one payload.
#include "agent/api/encoding.h"

#include <doctest/doctest.h>

#include "agent/api/options.h"

using namespace logagent;

TEST_CASE("encode specs are equal when they encode the same bytes: the level counts with zstd") {
  const EncodeSpec json_file{EventFormat::kJson, Compression::kNone, 3};
  const EncodeSpec json_kafka{EventFormat::kJson, Compression::kNone, -1};
  CHECK(json_file == json_kafka);  // a json file sink and a json kafka sink: one encoding
  CHECK_FALSE(json_file == EncodeSpec{EventFormat::kRaw, Compression::kNone, 3});
  CHECK(EncodeSpec{EventFormat::kRaw, Compression::kZstd, 3} ==
        EncodeSpec{EventFormat::kRaw, Compression::kZstd, 3});
  CHECK_FALSE(EncodeSpec{EventFormat::kRaw, Compression::kZstd, 3} ==
              EncodeSpec{EventFormat::kRaw, Compression::kZstd, 19});
  CHECK_FALSE(EncodeSpec{EventFormat::kRaw, Compression::kZstd, 3} ==
              EncodeSpec{EventFormat::kRaw, Compression::kNone, 3});
}

TEST_CASE("event formats and compressions are option types with the names users write") {
  CHECK(option_name(EventFormat::kRaw) == "raw");
  CHECK(option_name(EventFormat::kJson) == "json");
  CHECK(option_name(Compression::kNone) == "none");
  CHECK(option_name(Compression::kZstd) == "zstd");
  CHECK(type_name<EventFormat>() == "string");
}
