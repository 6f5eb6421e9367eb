// KafkaOptions: the typed configuration of the kafka sink, and the librdkafka settings it maps to.
//
// Defaults live in the member initialisers. `properties` is passed to librdkafka after the
// settings derived from the typed options (TLS and SASL included: kafka_security.h), so it may
// override any of them; each property is
// checked with rd_kafka_conf_set while the configuration is bound, and a bad one is reported at
// its own line and column. The schema's rule then builds the whole rd_kafka_conf_t once, so a
// configuration that binds also creates a producer configuration.
//
// Threads: plain values; bound on one thread, read-only afterwards.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/encoding.h"
#include "agent/api/options.h"
#include "agent/api/status.h"
#include "plugins/sinks/kafka/kafka_security.h"

namespace logagent::plugins::kafka {

// librdkafka properties (a map of strings) checked key by key when bound.
struct KafkaProperties {
  std::map<std::string, std::string> values;
  friend bool operator==(const KafkaProperties&, const KafkaProperties&) = default;
};
// Found by argument-dependent lookup from Schema<T>::field.
bool read_value(const ConfigNode& node, KafkaProperties& out, Diagnostics& diag);
std::string format_value(const KafkaProperties& v);

// raw: the line; json: one object per event (event_encoder.h); otlp_json and otlp_proto: an
// OpenTelemetry ExportLogsServiceRequest (otlp_encoder.h) per message.
enum class KafkaFormat { kRaw, kJson, kOtlpJson, kOtlpProto };
constexpr std::array<std::string_view, 4> option_names(KafkaFormat) {
  return {"raw", "json", "otlp_json", "otlp_proto"};
}
constexpr bool is_otlp(KafkaFormat f) {
  return f == KafkaFormat::kOtlpJson || f == KafkaFormat::kOtlpProto;
}

// record: one Kafka message per event; batch: one message per batch, compressed by logagent.
enum class KafkaMode { kRecord, kBatch };
constexpr std::array<std::string_view, 2> option_names(KafkaMode) { return {"record", "batch"}; }
// librdkafka's compression.codec values.
enum class KafkaCompression { kZstd, kLz4, kGzip, kSnappy, kNone };
constexpr std::array<std::string_view, 5> option_names(KafkaCompression) {
  return {"zstd", "lz4", "gzip", "snappy", "none"};
}
// Broker acknowledgements: all in-sync replicas, the leader, none.
enum class KafkaAcks { kAll, kOne, kZero };
constexpr std::array<std::string_view, 3> option_names(KafkaAcks) { return {"all", "1", "0"}; }

struct KafkaOptions {
  std::vector<std::string> brokers;
  std::string topic;
  std::string key;
  KafkaFormat format = KafkaFormat::kJson;
  KafkaMode mode = KafkaMode::kRecord;
  KafkaCompression compression = KafkaCompression::kZstd;
  int compression_level = -1;
  KafkaAcks acks = KafkaAcks::kAll;
  bool idempotence = true;
  Duration linger{std::chrono::milliseconds(5)};
  ByteSize batch_bytes{1ULL << 20};
  uint32_t batch_events = 10000;
  ByteSize queue_bytes{32ULL << 20};
  uint32_t queue_events = 100000;
  Duration message_timeout{std::chrono::milliseconds(0)};
  std::map<std::string, std::string> headers;
  KafkaTls tls;
  KafkaSasl sasl;
  KafkaProperties properties;
  bool dead_letter = true;
  uint32_t max_topics = 1000;
  Duration unknown_topic_timeout{std::chrono::seconds(60)};
  // delivery: exactly_once (kafka_sink_transaction.cc).
  Duration transaction_interval{std::chrono::seconds(1)};
  uint32_t transaction_batches = 0;  // 0: only the interval (and shutdown) commits
  std::string offsets_topic = "logagent-offsets";

  static const Schema<KafkaOptions>& schema();
};

using Setting = std::pair<std::string, std::string>;

// Properties whose values must never appear in logs, errors or metrics (passwords, keys, tokens,
// JAAS/OAuth configuration).
bool secret_property(std::string_view key);
// `text` with every occurrence of `value` replaced by "[redacted]" when `key` is secret.
std::string redact_secret(std::string_view key, std::string_view value, std::string text);

// The librdkafka settings for `o`, in the order they are applied (properties last).
std::vector<Setting> librdkafka_settings(const KafkaOptions& o);
// Applies `settings` to a fresh rd_kafka_conf_t and destroys it; the first error names the key.
Status check_settings(const std::vector<Setting>& settings);

}  // namespace logagent::plugins::kafka
