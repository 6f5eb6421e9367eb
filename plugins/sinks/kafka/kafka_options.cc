#include "plugins/sinks/kafka/kafka_options.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <memory>
#include <optional>

#include "plugins/sinks/kafka/topic_name.h"

namespace logagent::plugins::kafka {
bool secret_property(std::string_view key) {
  for (std::string_view word : {"password", "secret", "token", "sasl.jaas", "sasl.oauthbearer",
                                "ssl.key.pem", "ssl_key", "ssl.keystore", "credential"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  return false;
}

std::string redact_secret(std::string_view key, std::string_view value, std::string text) {
  if (!secret_property(key) || value.empty()) return text;
  for (size_t at = text.find(value); at != std::string::npos; at = text.find(value, at)) {
    text.replace(at, value.size(), "[redacted]");
    at += 10;
  }
  return text;
}

namespace {

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)>;

ConfPtr new_conf() { return ConfPtr(rd_kafka_conf_new(), &rd_kafka_conf_destroy); }

// Empty when `value` is accepted for `key`, else librdkafka's reason (secrets redacted).
std::string set_one(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512] = {0};
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) ==
      RD_KAFKA_CONF_OK) {
    return {};
  }
  return redact_secret(key, value, errstr[0] != '\0' ? std::string(errstr) : "invalid value");
}

std::optional<std::string> check_modes(const KafkaOptions& o) {
  if (o.mode == KafkaMode::kBatch && !is_otlp(o.format) &&
      o.compression != KafkaCompression::kZstd && o.compression != KafkaCompression::kNone) {
    return "mode 'batch' compresses with logagent's own zstd: 'compression' must be zstd or none";
  }
  if (o.idempotence && o.acks != KafkaAcks::kAll) {
    return "'idempotence: true' requires 'acks: all' (or set 'idempotence: false')";
  }
  if (o.compression_level < -1 || o.compression_level > 22) {
    return "'compression_level' must be -1 (the codec's default) or 0..22";
  }
  return std::nullopt;
}

std::optional<std::string> check_sizes(const KafkaOptions& o) {
  if (o.brokers.empty()) return "'brokers' must list at least one host:port";
  for (const auto& b : o.brokers) {
    if (b.empty()) return "'brokers' must not contain an empty entry";
  }
  if (o.batch_bytes.bytes == 0 || o.batch_bytes.bytes > (1ULL << 31)) {
    return "'batch_bytes' must be between 1 byte and 2GiB";
  }
  if (o.queue_bytes.bytes < 1024) return "'queue_bytes' must be at least 1KiB";
  if (o.batch_events == 0 || o.queue_events == 0) {
    return "'batch_events' and 'queue_events' must be at least 1";
  }
  return std::nullopt;
}

std::optional<std::string> check_templates(const KafkaOptions& o) {
  auto topic = Template::parse(o.topic, kTemplateSyntax);
  if (!topic) return "topic: " + topic.message();
  // Placeholders are sanitized when rendered; literal text must already be a valid name.
  const std::string sample = topic->render(TemplateVars{"x", "x", "x"});
  if (!valid_topic_name(sample)) {
    return "topic '" + o.topic +
           "' is not a valid Kafka topic name (1..249 characters of a-z A-Z 0-9 . _ -)";
  }
  if (topic->field_without_default()) {
    return "topic '" + o.topic +
           "': an event field in a topic needs a default for events without it, e.g. "
           "{field.app:-unknown}";
  }
  auto key = Template::parse(o.key, kTemplateSyntax);
  if (!key) return "key: " + key.message();
  bool fields = topic->uses_fields() || key->uses_fields();
  for (const auto& [name, value] : o.headers) {
    if (name.empty()) return std::string("headers: a header name must not be empty");
    auto h = Template::parse(value, kTemplateSyntax);
    if (!h) return "headers." + name + ": " + h.message();
    fields = fields || h->uses_fields();
  }
  if (fields && o.mode == KafkaMode::kBatch) {
    return std::string(
        "mode batch puts many events in one message: topic, key and headers cannot use "
        "{field.*} (use mode: record)");
  }
  if (o.max_topics == 0) return std::string("max_topics must be at least 1");
  return std::nullopt;
}

std::optional<std::string> check_librdkafka(const KafkaOptions& o) {
  if (Status st = check_settings(librdkafka_settings(o)); !st) return st.message();
  return std::nullopt;
}

Schema<KafkaOptions> make_schema() {
  using O = KafkaOptions;
  Schema<O> s;
  s.field("brokers", &O::brokers, "Bootstrap brokers, host:port.").required();
  s.field("topic", &O::topic,
          "Topic, a template: literal text with {file}, {file_name}, {pipeline}, {host} or "
          "event fields {field.NAME:-DEFAULT} (record mode; a default is required); characters "
          "not allowed in topic names that come from placeholders become '_'.")
      .required();
  s.field("key", &O::key,
          "Message key template (same placeholders; {field.NAME} renders empty when the event "
          "lacks it unless a :-DEFAULT is given). Empty: no key, and all lines of one file go to "
          "one partition chosen by a hash of its path, so they stay in order. A key spreads a "
          "file over partitions: order then holds per key.");
  s.field("format", &O::format,
          "Event encoding: json (one object per event), raw (the line), or an OpenTelemetry "
          "ExportLogsServiceRequest per message -- otlp_proto (protobuf, what the OpenTelemetry "
          "Collector's Kafka receiver reads by default) or otlp_json: body the line, "
          "observed time the read time, time a timestamp stage's, severity from a field level "
          "or severity, attributes log.file.path and the parsed fields, resource host.name. "
          "With otlp_*, batch mode puts the whole batch in one request and compression is "
          "Kafka's (librdkafka's codec), so any OTLP consumer reads the messages as they are.");
  s.field("mode", &O::mode,
          "record: one Kafka message per event. batch: one message per batch, newline-delimited "
          "events compressed with zstd by logagent (headers content-encoding, content-type, "
          "x-logagent-events).");
  s.field("compression", &O::compression, "Compression codec (batch mode: zstd or none).");
  s.field("compression_level", &O::compression_level, "Codec level; -1 is the codec's default.");
  s.field("acks", &O::acks, "Broker acknowledgements required: all, 1 or 0.");
  s.field("idempotence", &O::idempotence,
          "Idempotent producer: no duplicates from retries, order kept per partition.");
  s.field("linger", &O::linger, "How long librdkafka waits to fill a message batch.");
  s.field("batch_bytes", &O::batch_bytes, "Largest message batch sent to a partition.");
  s.field("batch_events", &O::batch_events, "Most messages in one message batch.");
  s.field("queue_bytes", &O::queue_bytes,
          "Payload bytes librdkafka may hold queued or in flight; when full, the sink blocks "
          "(backpressure up to the tailers).");
  s.field("queue_events", &O::queue_events, "Messages librdkafka may hold queued or in flight.");
  s.field("message_timeout", &O::message_timeout,
          "librdkafka's message.timeout.ms. 0s: never expire (retry until delivered, order kept). "
          "A timed-out message is produced again, never dropped; it may then land after newer "
          "messages of its partition.");
  s.field("headers", &O::headers,
          "Headers added to every message; values are templates (metadata, and in record mode "
          "event fields {field.NAME}).");
  s.field("tls", &O::tls,
          "TLS to the brokers: {ca_file: PEM CA certificates (default: the system's store), "
          "cert_file and key_file: a client certificate and its PEM key (mutual TLS), "
          "key_password: the key's password, verify_hostname: true (the broker's certificate "
          "must name the host or IP it was reached at), enabled: true}. `tls: {}` is TLS with "
          "the system's CAs. Files are checked when the configuration is validated.");
  s.field("sasl", &O::sasl,
          "SASL authentication: {mechanism: plain|scram-sha-256|scram-sha-512, username, "
          "password (e.g. \"${KAFKA_PASSWORD}\") or password_file (read when the configuration "
          "is loaded; one trailing newline ignored)}. Over TLS when `tls` is set (SASL_SSL), "
          "else SASL_PLAINTEXT. Passwords never appear in the agent's log, errors or metrics. "
          "librdkafka before 2.6.1 (Debian 12 ships 2.0.2) fails SCRAM against Kafka 4.x brokers "
          "with 'invalid credentials' (librdkafka PR #4895): use plain over TLS "
          "there, or a newer librdkafka.");
  s.field("properties", &O::properties,
          "librdkafka properties (TLS, SASL, ...), applied last; each is checked when the "
          "configuration is validated.");
  s.field("dead_letter", &O::dead_letter,
          "Write events that fail permanently (too large, not authorized, unknown topic) to "
          "<data_dir>/<pipeline>.<sink>.deadletter.ndjson and acknowledge them; false (or a "
          "dead-letter write that fails): the batch is rejected -- the pipeline stops reading, "
          "/ready says why, and the batch is read again after the cause is fixed and the "
          "agent reloaded or restarted.");
  s.field("max_topics", &O::max_topics,
          "Most distinct topics a topic template over event fields may produce; events for "
          "further topics are dead-lettered (reason TOPIC_EXCEPTION, with the topic they were "
          "meant for), so hostile log content cannot grow the agent's memory. The name the "
          "template gives an event without those fields (every default) is always allowed.");
  s.field("unknown_topic_timeout", &O::unknown_topic_timeout,
          "How long a message whose topic or partition the cluster does not know is retried "
          "(every 250ms, holding the pipeline behind it) before it is dead-lettered: a topic "
          "deleted and created again, or being auto-created, loses nothing. 0s: dead-letter at "
          "once.");
  s.field("transaction_interval", &O::transaction_interval,
          "delivery: exactly_once only: how often the open transaction is committed (with the "
          "pipeline's checkpoint), and at shutdown. Lines reach read_committed consumers only "
          "then.");
  s.field("transaction_batches", &O::transaction_batches,
          "delivery: exactly_once only: also commit as soon as this many batches are in the open "
          "transaction (further writes wait for that commit): fewer lines to send again after an "
          "abort, more commits. 0: only transaction_interval (and shutdown) commits.");
  s.field("offsets_topic", &O::offsets_topic,
          "delivery: exactly_once only: the topic (compacted, created when missing) where each "
          "transaction commits the pipeline's checkpoint, keyed <host>/<pipeline>/<sink>; it is "
          "read back with read_committed when the agent starts.");
  s.rule(check_sizes).rule(check_modes).rule(check_templates).rule(check_librdkafka);
  return s;
}

}  // namespace

bool read_value(const ConfigNode& node, KafkaProperties& out, Diagnostics& diag) {
  std::map<std::string, std::string> items;
  if (!logagent::read_value(node, items, diag)) return false;
  bool ok = true;
  ConfPtr conf = new_conf();
  for (const ConfigEntry& e : node.entries()) {
    const ConfigNode& at = e.value.defined() ? e.value : e.key;
    if (std::string err = set_one(conf.get(), e.name, items[e.name]); !err.empty()) {
      diag.error(at, "librdkafka property '" + e.name + "': " + err);
      ok = false;
    }
  }
  if (ok) out.values = std::move(items);
  return ok;
}

std::string format_value(const KafkaProperties& v) { return logagent::format_value(v.values); }

std::vector<Setting> librdkafka_settings(const KafkaOptions& o) {
  std::vector<Setting> s;
  std::string brokers;
  for (const auto& b : o.brokers) brokers += (brokers.empty() ? "" : ",") + b;
  s.emplace_back("bootstrap.servers", brokers);
  // Batch mode (but OTLP's): logagent compresses the payload itself.
  const bool ours = o.mode == KafkaMode::kBatch && !is_otlp(o.format);
  s.emplace_back("compression.codec", ours ? "none" : std::string(option_name(o.compression)));
  if (!ours && o.compression_level != -1 && o.compression != KafkaCompression::kNone) {
    s.emplace_back("compression.level", std::to_string(o.compression_level));
  }
  s.emplace_back("acks", o.acks == KafkaAcks::kAll ? "-1" : std::string(option_name(o.acks)));
  s.emplace_back("enable.idempotence", o.idempotence ? "true" : "false");
  s.emplace_back("linger.ms", std::to_string(o.linger.value.count()));
  s.emplace_back("batch.size", std::to_string(o.batch_bytes.bytes));
  s.emplace_back("batch.num.messages", std::to_string(o.batch_events));
  s.emplace_back("queue.buffering.max.kbytes", std::to_string(o.queue_bytes.bytes / 1024));
  s.emplace_back("queue.buffering.max.messages", std::to_string(o.queue_events));
  s.emplace_back("message.timeout.ms", std::to_string(o.message_timeout.value.count()));
  // After an outage the default waits up to 10 s before reconnecting; 1 s recovers at once.
  s.emplace_back("reconnect.backoff.max.ms", "1000");
  s.emplace_back("statistics.interval.ms", "1000");
  // Keyless messages must reach the sink's partitioner (one partition per file), not librdkafka's
  // sticky random choice.
  s.emplace_back("sticky.partitioning.linger.ms", "0");
  append_security_settings(o.tls, o.sasl, s);
  for (const auto& kv : o.properties.values) s.emplace_back(kv.first, kv.second);
  return s;
}

Status check_settings(const std::vector<Setting>& settings) {
  ConfPtr conf = new_conf();
  for (const auto& [key, value] : settings) {
    if (std::string err = set_one(conf.get(), key, value); !err.empty()) {
      return Status::error(fmt::format("librdkafka setting {}={}: {}", key,
                                       secret_property(key) ? "[redacted]" : value, err));
    }
  }
  return Status::ok();
}

const Schema<KafkaOptions>& KafkaOptions::schema() {
  static const Schema<KafkaOptions> s = make_schema();
  return s;
}

}  // namespace logagent::plugins::kafka
