// Messages built from a batch: record mode (raw views, json lines) and batch mode (one payload).
#include "plugins/sinks/kafka/message_builder.h"

#include <doctest/doctest.h>
#include <zstd.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/api/source.h"

using namespace logagent;
using namespace logagent::plugins::kafka;

namespace {

// Three events, the second dropped.
void three_events(Batch& b) {
  auto info = std::make_shared<SourceInfo>();
  info->path = "/var/log/a.log";
  b.source = info;
  b.read_time_ns = 1'700'000'000'123'456'000;
  b.events.push_back({"first", 0, 0, 0});
  b.events.push_back({"dropped", 6, kEventDropped, 0});
  b.events.push_back({"third", 14, 0, 0});
}

std::string_view text(const rd_kafka_message_t& m) {
  return {static_cast<const char*>(m.payload), m.len};
}

}  // namespace

TEST_CASE("message builder: raw records view the batch's lines, one per live event") {
  Batch b;
  three_events(b);
  DeliveryRecord r(b, SinkAck(nullptr, nullptr));
  std::vector<rd_kafka_message_t> msgs;
  build_records(r, EventFormat::kRaw, msgs);
  REQUIRE(msgs.size() == 2);
  CHECK(text(msgs[0]) == "first");
  CHECK(msgs[0].payload == b.events[0].message.data());  // no copy
  CHECK(text(msgs[1]) == "third");
  REQUIRE(r.refs.size() == 2);
  CHECK(msgs[1]._private == &r.refs[1]);
  CHECK(r.refs[1].event == 2);
  CHECK(r.refs[1].record == &r);
  CHECK(msgs[1].partition == RD_KAFKA_PARTITION_UA);
  CHECK(r.payload_bytes == 10);
  CHECK(r.payload.empty());
}

TEST_CASE("message builder: json records are lines of one encoding of the batch") {
  Batch b;
  three_events(b);
  DeliveryRecord r(b, SinkAck(nullptr, nullptr));
  std::vector<rd_kafka_message_t> msgs;
  build_records(r, EventFormat::kJson, msgs);
  REQUIRE(msgs.size() == 2);
  CHECK(text(msgs[0]) ==
        "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"file\":\"/var/log/a.log\",\"offset\":0,"
        "\"message\":\"first\"}");
  CHECK(text(msgs[1]).find("\"message\":\"third\"") != std::string_view::npos);
  CHECK(r.refs[0].event == 0);
  CHECK(r.refs[1].event == 2);
  CHECK(r.payload.size() == msgs[0].len + msgs[1].len + 2);  // encoded into the record
}

TEST_CASE("message builder: json records view the lane's encoding when there is one") {
  Batch b;
  three_events(b);
  Payload encoded;
  encoded.bytes = "{\"a\":1}\n{\"b\":2}\n";
  encoded.events = 2;
  DeliveryRecord r(b, SinkAck(nullptr, nullptr));
  std::vector<rd_kafka_message_t> msgs;
  build_records(r, EventFormat::kJson, msgs, &encoded);
  REQUIRE(msgs.size() == 2);
  CHECK(text(msgs[0]) == "{\"a\":1}");
  CHECK(msgs[0].payload == encoded.bytes.data());
  CHECK(text(msgs[1]) == "{\"b\":2}");
  CHECK(r.refs[1].event == 2);
  CHECK(r.payload.empty());
}

TEST_CASE("message builder: an encoding whose lines do not match the events goes as one message") {
  Batch b;
  three_events(b);
  Payload encoded;
  encoded.bytes = "{\"a\":1}\n";  // one line for two live events
  DeliveryRecord r(b, SinkAck(nullptr, nullptr));
  std::vector<rd_kafka_message_t> msgs;
  build_records(r, EventFormat::kJson, msgs, &encoded);
  REQUIRE(msgs.size() == 1);
  CHECK(r.refs[0].event == MessageRef::kWholeBatch);
  CHECK(msgs[0].len == encoded.bytes.size());
}

TEST_CASE("message builder: a batch payload holds every live event, compressed or not") {
  Batch b;
  three_events(b);
  DeliveryRecord plain(b, SinkAck(nullptr, nullptr));
  auto n = build_batch_payload(plain, EventFormat::kRaw, false, -1);
  REQUIRE(n.is_ok());
  CHECK(n.value() == 2);
  CHECK(plain.payload == "first\nthird\n");
  REQUIRE(plain.refs.size() == 1);
  CHECK(plain.refs[0].event == MessageRef::kWholeBatch);
  CHECK(plain.payload_bytes == plain.payload.size());

  DeliveryRecord packed(b, SinkAck(nullptr, nullptr));
  REQUIRE(build_batch_payload(packed, EventFormat::kRaw, true, 3).is_ok());
  std::string out(64, '\0');
  const size_t got =
      ZSTD_decompress(out.data(), out.size(), packed.payload.data(), packed.payload.size());
  REQUIRE_FALSE(ZSTD_isError(got));
  out.resize(got);
  CHECK(out == "first\nthird\n");
  CHECK(packed.payload_bytes == packed.payload.size());
}
