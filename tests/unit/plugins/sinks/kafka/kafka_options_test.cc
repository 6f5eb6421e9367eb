#include "plugins/sinks/kafka/kafka_options.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "plugins/sinks/kafka/rdkafka_handle.h"

using namespace logagent;
using namespace logagent::plugins::kafka;

namespace {

ConfigNode parse(const std::string& yaml) {
  Diagnostics diag;
  auto node = ConfigNode::parse(yaml, std::make_shared<const ConfigFile>(ConfigFile{"k.yaml"}),
                                diag, "sinks[0]");
  REQUIRE(node.has_value());
  return *node;
}

// Binds `yaml` (the sink's map); returns the errors.
std::vector<std::string> bind_yaml(const std::string& yaml, KafkaOptions* out = nullptr) {
  KafkaOptions o;
  Diagnostics diag;
  KafkaOptions::schema().bind(parse(yaml), o, diag, {"type"});
  if (out != nullptr) *out = o;
  return diag.errors();
}

bool has(const std::vector<std::string>& errors, const std::string& text) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(text) != std::string::npos; });
}

const char* kMinimal = "type: kafka\nbrokers: [\"127.0.0.1:9092\"]\ntopic: logs\n";

}  // namespace

TEST_CASE("kafka options: a minimal configuration binds with the documented defaults") {
  KafkaOptions o;
  CHECK(bind_yaml(kMinimal, &o).empty());
  CHECK(o.format == KafkaFormat::kJson);
  CHECK(o.mode == KafkaMode::kRecord);
  CHECK(o.compression == KafkaCompression::kZstd);
  CHECK(o.acks == KafkaAcks::kAll);
  CHECK(o.idempotence);
  CHECK(o.linger.value == std::chrono::milliseconds(5));
  CHECK(o.batch_bytes.bytes == 1u << 20);
  CHECK(o.dead_letter);
  const auto s = librdkafka_settings(o);
  auto value = [&](const std::string& k) {
    for (const auto& [key, v] : s)
      if (key == k) return v;
    return std::string("<unset>");
  };
  CHECK(value("bootstrap.servers") == "127.0.0.1:9092");
  CHECK(value("acks") == "-1");
  CHECK(value("enable.idempotence") == "true");
  CHECK(value("compression.codec") == "zstd");
  CHECK(value("linger.ms") == "5");
  CHECK(value("message.timeout.ms") == "0");
}

TEST_CASE("kafka options: a bad librdkafka property is an error at its own line and column") {
  const auto errors = bind_yaml(std::string(kMinimal) +
                                "properties:\n"
                                "  socket.timeout.ms: \"100\"\n"
                                "  no.such.property: \"1\"\n"
                                "  linger.ms: banana\n");
  REQUIRE(errors.size() == 2);
  CHECK(has(errors, "k.yaml:6:21: sinks[0].properties.no.such.property"));
  CHECK(has(errors, "No such configuration property"));
  CHECK(has(errors, "k.yaml:7:14: sinks[0].properties.linger.ms"));
}

TEST_CASE("kafka options: required keys, unknown keys and choices are reported") {
  CHECK(has(bind_yaml("type: kafka\ntopic: t\n"), "missing required option 'brokers'"));
  CHECK(has(bind_yaml("type: kafka\nbrokers: [a:1]\n"), "missing required option 'topic'"));
  CHECK(has(bind_yaml(std::string(kMinimal) + "broker: x\n"), "did you mean 'brokers'"));
  CHECK(has(bind_yaml(std::string(kMinimal) + "compression: brotli\n"), "is not one of"));
  CHECK(has(bind_yaml(std::string(kMinimal) + "mode: stream\n"), "is not one of"));
}

TEST_CASE("kafka options: rules reject inconsistent settings") {
  CHECK(has(bind_yaml(std::string(kMinimal) + "acks: \"1\"\n"), "requires 'acks: all'"));
  CHECK(bind_yaml(std::string(kMinimal) + "acks: \"1\"\nidempotence: false\n").empty());
  CHECK(has(bind_yaml(std::string(kMinimal) + "mode: batch\ncompression: lz4\n"), "zstd or none"));
  CHECK(bind_yaml(std::string(kMinimal) + "mode: batch\ncompression: none\n").empty());
  CHECK(has(bind_yaml(std::string(kMinimal) + "compression_level: 40\n"), "compression_level"));
  CHECK(has(bind_yaml("type: kafka\nbrokers: []\ntopic: t\n"), "at least one"));
}

TEST_CASE("kafka options: templates are checked when the configuration is validated") {
  CHECK(bind_yaml("type: kafka\nbrokers: [a:1]\ntopic: \"logs-{file_name}\"\n").empty());
  CHECK(has(bind_yaml("type: kafka\nbrokers: [a:1]\ntopic: \"logs-{nope}\"\n"),
            "unknown placeholder '{nope}'"));
  CHECK(has(bind_yaml("type: kafka\nbrokers: [a:1]\ntopic: \"bad topic\"\n"),
            "not a valid Kafka topic name"));
  CHECK(has(bind_yaml(std::string(kMinimal) + "key: \"{file\"\n"), "unclosed"));
  CHECK(has(bind_yaml(std::string(kMinimal) + "headers:\n  x-src: \"{host\"\n"), "headers.x-src"));
}

TEST_CASE("kafka options: templates over event fields") {
  CHECK(bind_yaml("type: kafka\nbrokers: [a:1]\ntopic: \"logs-{field.app:-other}\"\n"
                  "key: \"{field.user}\"\nheaders:\n  level: \"{field.level:-info}\"\n")
            .empty());
  CHECK(has(bind_yaml("type: kafka\nbrokers: [a:1]\ntopic: \"logs-{field.app}\"\n"),
            "needs a default"));
  CHECK(has(bind_yaml("type: kafka\nbrokers: [a:1]\ntopic: t\nmode: batch\nkey: \"{field.k}\"\n"),
            "cannot use {field.*}"));
  CHECK(has(bind_yaml("type: kafka\nbrokers: [a:1]\ntopic: t\nmode: batch\n"
                      "headers:\n  h: \"{field.k:-x}\"\n"),
            "cannot use {field.*}"));
  CHECK(has(bind_yaml(std::string(kMinimal) + "max_topics: 0\n"), "max_topics"));
}

TEST_CASE("kafka options: properties come last and override derived settings") {
  KafkaOptions o;
  REQUIRE(bind_yaml(std::string(kMinimal) + "properties:\n  linger.ms: \"50\"\n", &o).empty());
  const auto s = librdkafka_settings(o);
  CHECK(s.back() == Setting{"linger.ms", "50"});
  CHECK(check_settings(s).is_ok());
  CHECK_FALSE(check_settings({{"acks", "many"}}).is_ok());
}

TEST_CASE("kafka options: secret property values never appear in errors") {
  CHECK(secret_property("sasl.password"));
  CHECK(secret_property("ssl.key.password"));
  CHECK(secret_property("sasl.oauthbearer.config"));
  CHECK(secret_property("ssl.keystore.password"));
  CHECK_FALSE(secret_property("security.protocol"));
  CHECK(redact_secret("sasl.password", "hunter2", "bad \"hunter2\" and hunter2") ==
        "bad \"[redacted]\" and [redacted]");
  CHECK(redact_secret("linger.ms", "5x", "Invalid value \"5x\"") == "Invalid value \"5x\"");
  // A secret that librdkafka refuses (an enum-like secret does not exist, so use a property
  // whose error echoes its value): the message is redacted when the key is secret.
  const auto errors = bind_yaml(std::string(kMinimal) +
                                "properties:\n  sasl.password: hunter2\n"
                                "  security.protocol: hunter2\n");
  REQUIRE_FALSE(errors.empty());
  for (const auto& e : errors) CHECK(e.find("sasl.password: hunter2") == std::string::npos);
}

TEST_CASE("kafka options: tls and sasl become librdkafka settings, and properties still win") {
  char dir[] = "/tmp/kafka_options_test.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string ca = std::string(dir) + "/ca.pem";
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n";
  KafkaOptions o;
  const auto errors = bind_yaml(std::string(kMinimal) + "tls: {ca_file: " + ca +
                                    "}\nsasl: {mechanism: scram-sha-512, username: agent, "
                                    "password: hunter2}\nproperties: {sasl.username: other}\n",
                                &o);
  std::filesystem::remove_all(dir);
  CHECK(errors.empty());
  const auto s = librdkafka_settings(o);
  auto last = [&](const std::string& k) {
    std::string found = "<unset>";
    for (const auto& [key, v] : s)
      if (key == k) found = v;
    return found;
  };
  CHECK(last("security.protocol") == "sasl_ssl");
  CHECK(last("ssl.ca.location") == ca);
  CHECK(last("ssl.endpoint.identification.algorithm") == "https");
  CHECK(last("sasl.mechanisms") == "SCRAM-SHA-512");
  CHECK(last("sasl.password") == "hunter2");
  CHECK(last("sasl.username") == "other");  // properties are applied last
  CHECK(check_settings(s));
}

TEST_CASE("kafka options: a librdkafka error about a secret setting does not repeat its value") {
  const Status st = check_settings({{"sasl.jaas.config", "hunter2"}});  // not a librdkafka key
  CHECK_FALSE(st);
  CHECK(st.message().find("sasl.jaas.config=[redacted]") != std::string::npos);
  CHECK(st.message().find("hunter2") == std::string::npos);
  auto conf = make_conf({{"sasl.jaas.config", "hunter2"}});
  REQUIRE_FALSE(conf);
  CHECK(conf.message().find("sasl.jaas.config=[redacted]") != std::string::npos);
  CHECK(conf.message().find("hunter2") == std::string::npos);
}

TEST_CASE("kafka options: OTLP formats leave compression to librdkafka, in batch mode too") {
  KafkaOptions o;
  CHECK(bind_yaml(std::string(kMinimal) + "format: otlp_proto\nmode: batch\ncompression: lz4\n", &o)
            .empty());
  CHECK(o.format == KafkaFormat::kOtlpProto);
  auto codec = [](const KafkaOptions& opts) {
    for (const auto& [key, v] : librdkafka_settings(opts))
      if (key == "compression.codec") return v;
    return std::string("<unset>");
  };
  CHECK(codec(o) == "lz4");  // not "none": the request is not compressed by logagent
  KafkaOptions j;
  CHECK(bind_yaml(std::string(kMinimal) + "format: json\nmode: batch\n", &j).empty());
  CHECK(codec(j) == "none");  // logagent's own zstd frame
  CHECK(bind_yaml(std::string(kMinimal) + "format: otlp_json\n", &j).empty());
  CHECK(j.format == KafkaFormat::kOtlpJson);
  CHECK(has(bind_yaml(std::string(kMinimal) + "format: otlp\n"), "is not one of"));
}
