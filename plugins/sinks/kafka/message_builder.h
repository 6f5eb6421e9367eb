// MessageBuilder: turns a batch into the Kafka messages of its DeliveryRecord.
//
// record mode: one message per live event. raw: the payload is a view into the batch's chunks
// (zero-copy: they stay alive until the batch is acknowledged). json: the batch is encoded once
// into record.payload and each message views its line (split at the newlines, which escaped
// JSON cannot contain; if the count ever differs from the live events, the batch goes as one
// message rather than split wrongly).
// batch mode: one message holding every live event, newline-delimited (json or raw), compressed
// with zstd into record.payload unless compression is none.
//
// Threads: called on lane threads; each thread keeps its own zstd context and scratch buffer.
#pragma once

#include <librdkafka/rdkafka.h>

#include <vector>

#include "agent/api/status.h"
#include "agent/codec/event_encoder.h"
#include "plugins/sinks/kafka/delivery_tracker.h"

namespace logagent::plugins::kafka {

// Fills record.refs and `out` (one entry per live event; partition UA, opaque = its ref).
// json: `encoded`, when given, is the batch's json encoding made by the lane's encode step
// (messages then view it, and it lives as long as the batch); else the batch is encoded into
// record.payload here.
void build_records(DeliveryRecord& record, EventFormat format, std::vector<rd_kafka_message_t>& out,
                   const Payload* encoded = nullptr);

// OTLP (otlp_encoder.h; `proto`: otlp_proto, else otlp_json): fills record.payload and
// record.refs. record mode: one request per live event, `out` one message per event;
// batch mode (`whole`): one request holding every live event, one kWholeBatch ref. Returns the
// events encoded.
size_t build_otlp(DeliveryRecord& record, bool proto, bool whole, std::string_view host,
                  std::vector<rd_kafka_message_t>& out);

// Fills record.payload and record.refs (one kWholeBatch ref); returns the events it holds.
// Used when the encode step made no payload for the batch.
Result<size_t> build_batch_payload(DeliveryRecord& record, EventFormat format, bool zstd,
                                   int level);

}  // namespace logagent::plugins::kafka
