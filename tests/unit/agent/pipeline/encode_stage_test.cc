#include "agent/pipeline/encode_stage.h"

#include <doctest/doctest.h>
#include <zstd.h>

#include "agent/codec/event_encoder.h"
#include "agent/metrics/metrics_registry.h"

using namespace logagent;

namespace {

struct Lines {
  explicit Lines(std::vector<std::string> l) : lines(std::move(l)) {
    auto src = std::make_shared<SourceInfo>();
    src->path = "/logs/app.log";
    batch.source = src;
    uint64_t offset = 0;
    for (const auto& s : lines) {
      batch.events.push_back(Event{s, offset, 0, 0});
      offset += s.size() + 1;
    }
    batch.end = offset;
  }
  std::vector<std::string> lines;
  Batch batch;
};

// Decodes a buffer of one or more concatenated zstd frames.
std::string unzstd(std::string_view in) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  std::string out;
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
    const size_t r = ZSTD_decompressStream(d, &ob, &ib);
    REQUIRE_FALSE(ZSTD_isError(r));
    out.append(buf.data(), ob.pos);
  }
  ZSTD_freeDCtx(d);
  return out;
}

}  // namespace

TEST_CASE("encode stage: one payload per requested encoding, dropped events left out") {
  auto registry = std::make_shared<MetricsRegistry>();
  MetricsScope scope(registry, {{"pipeline", "p"}});
  const EncodeSpec json{EventFormat::kJson, Compression::kNone, 0};
  const EncodeSpec raw_zstd{EventFormat::kRaw, Compression::kZstd, 1};
  EncodeStage stage({json, raw_zstd}, scope);
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i) lines.push_back("line " + std::to_string(i) + " \"quoted\"");
  Lines in(lines);
  in.batch.events[5].flags |= kEventDropped;
  stage.process(in.batch);
  REQUIRE(in.batch.payloads.size() == 2);

  const Payload* pj = find_payload(in.batch, json);
  REQUIRE(pj != nullptr);
  std::string want_json;
  encode_batch(want_json, in.batch, EventFormat::kJson);
  CHECK(pj->bytes == want_json);
  CHECK(pj->events == 1999);
  CHECK(want_json.find("line 5 ") == std::string::npos);

  const Payload* pz = find_payload(in.batch, raw_zstd);
  REQUIRE(pz != nullptr);
  std::string want_raw;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i != 5) want_raw += lines[i] + "\n";
  }
  CHECK(pz->plain_bytes == want_raw.size());
  CHECK(pz->bytes.size() < want_raw.size() / 3);  // repetitive text compresses
  CHECK(unzstd(pz->bytes) == want_raw);
  CHECK(ZSTD_getFrameContentSize(pz->bytes.data(), pz->bytes.size()) == want_raw.size());

  CHECK(find_payload(in.batch, EncodeSpec{EventFormat::kRaw, Compression::kNone, 0}) == nullptr);
  CHECK(scope.counter("logagent_encode_input_bytes_total", "", {{"codec", "zstd"}}).value() ==
        static_cast<double>(want_raw.size()));
  CHECK(scope.counter("logagent_encode_output_bytes_total", "", {{"codec", "zstd"}}).value() ==
        static_cast<double>(pz->bytes.size()));
}

TEST_CASE("encode stage: a batch with no live event gets no payload") {
  auto registry = std::make_shared<MetricsRegistry>();
  EncodeStage stage({EncodeSpec{EventFormat::kRaw, Compression::kZstd, 3}},
                    MetricsScope(registry, {{"pipeline", "p"}}));
  Lines in({"a", "b"});
  for (auto& e : in.batch.events) e.flags |= kEventDropped;
  stage.process(in.batch);
  CHECK(in.batch.payloads.empty());
}

TEST_CASE("zstd frames concatenate into one valid stream") {
  ZstdFrameCompressor z;
  std::string a, b;
  REQUIRE(z.compress("first frame\n", 1, a).is_ok());
  REQUIRE(z.compress(std::string(100000, 'x') + "\n", 19, b).is_ok());
  CHECK(unzstd(a + b) == "first frame\n" + std::string(100000, 'x') + "\n");
  std::string empty;
  REQUIRE(z.compress("", 1, empty).is_ok());
  CHECK(unzstd(empty + a) == "first frame\n");
}
