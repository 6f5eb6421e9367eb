#include "plugins/sinks/kafka/message_builder.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "agent/codec/otlp_encoder.h"
#include "agent/codec/zstd_frame.h"

namespace logagent::plugins::kafka {
namespace {

rd_kafka_message_t message(void* payload, size_t len, MessageRef* ref) {
  rd_kafka_message_t m;
  std::memset(&m, 0, sizeof(m));
  m.payload = payload;
  m.len = len;
  m._private = ref;
  m.partition = RD_KAFKA_PARTITION_UA;
  return m;
}

}  // namespace

void build_records(DeliveryRecord& record, EventFormat format, std::vector<rd_kafka_message_t>& out,
                   const Payload* encoded) {
  const Batch& batch = *record.batch;
  out.clear();
  record.refs.clear();
  record.refs.reserve(batch.events.size());  // never reallocated: messages point into it
  if (format == EventFormat::kRaw) {
    for (size_t i = 0; i < batch.events.size(); ++i) {
      const Event& e = batch.events[i];
      if (e.flags & kEventDropped) continue;
      record.refs.push_back({&record, static_cast<uint32_t>(i)});
      out.push_back(
          message(const_cast<char*>(e.message.data()), e.message.size(), &record.refs.back()));
      record.payload_bytes += e.message.size();
    }
    return;
  }
  std::string_view json;
  if (encoded != nullptr) {
    json = encoded->bytes;
  } else {
    encode_batch(record.payload, batch, EventFormat::kJson);
    json = record.payload;
  }
  // Escaped JSON holds no raw newline: every '\n' ends one event's object. librdkafka does not
  // write to payloads produced without RD_KAFKA_MSG_F_FREE: the const_cast is for its API only.
  char* const begin = const_cast<char*>(json.data());
  char* const end = begin + json.size();
  const size_t live = batch.live_events();
  if (static_cast<size_t>(std::count(begin, end, '\n')) != live) {
    // Cannot happen with the current encoder; never split an object wrongly: one message then.
    record.refs.push_back({&record, MessageRef::kWholeBatch});
    out.push_back(message(begin, json.size(), &record.refs.back()));
    record.payload_bytes = json.size();
    return;
  }
  char* p = begin;
  size_t i = 0;
  while (p < end) {
    while (batch.events[i].flags & kEventDropped) ++i;
    auto* nl = static_cast<char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const size_t len = static_cast<size_t>(nl - p);
    record.refs.push_back({&record, static_cast<uint32_t>(i)});
    out.push_back(message(p, len, &record.refs.back()));
    record.payload_bytes += len;
    p = nl + 1;
    ++i;
  }
}

size_t build_otlp(DeliveryRecord& record, bool proto, bool whole, std::string_view host,
                  std::vector<rd_kafka_message_t>& out) {
  const Batch& batch = *record.batch;
  auto encode = proto ? &encode_otlp_proto : &encode_otlp_json;
  out.clear();
  record.refs.clear();
  record.payload.clear();
  if (whole) {
    encode(record.payload, batch, 0, batch.events.size(), host);
    record.refs.assign(1, MessageRef{&record, MessageRef::kWholeBatch});
    out.push_back(message(record.payload.data(), record.payload.size(), &record.refs.back()));
    record.payload_bytes = record.payload.size();
    return batch.live_events();
  }
  // Every request is appended first (record.payload may move while it grows), then viewed.
  record.refs.reserve(batch.events.size());  // never reallocated: messages point into it
  thread_local std::vector<size_t> ends;
  ends.clear();
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (batch.events[i].flags & kEventDropped) continue;
    encode(record.payload, batch, i, i + 1, host);
    record.refs.push_back({&record, static_cast<uint32_t>(i)});
    ends.push_back(record.payload.size());
  }
  size_t from = 0;
  for (size_t k = 0; k < ends.size(); ++k) {
    out.push_back(message(record.payload.data() + from, ends[k] - from, &record.refs[k]));
    from = ends[k];
  }
  record.payload_bytes = record.payload.size();
  return out.size();
}

Result<size_t> build_batch_payload(DeliveryRecord& record, EventFormat format, bool zstd,
                                   int level) {
  const size_t events = record.batch->live_events();
  record.refs.assign(1, MessageRef{&record, MessageRef::kWholeBatch});
  if (!zstd) {
    encode_batch(record.payload, *record.batch, format);
    record.payload_bytes = record.payload.size();
    return events;
  }
  thread_local std::string plain;
  thread_local ZstdFrameCompressor zstd_frame;
  plain.clear();
  encode_batch(plain, *record.batch, format);
  if (Status st =
          zstd_frame.compress(plain, level < 0 ? ZSTD_CLEVEL_DEFAULT : level, record.payload);
      !st) {
    return st;
  }
  record.payload_bytes = record.payload.size();
  if (plain.capacity() > (16u << 20)) plain = std::string();  // do not keep a huge scratch
  return events;
}

}  // namespace logagent::plugins::kafka
