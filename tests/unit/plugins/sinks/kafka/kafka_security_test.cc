#include "plugins/sinks/kafka/kafka_security.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace logagent;
using namespace logagent::plugins::kafka;

namespace {

// A temporary directory with PEM-looking files (their contents are only checked for markers).
struct Files {
  std::filesystem::path dir;
  Files() {
    char tmpl[] = "/tmp/kafka_security_test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    write("ca.pem", "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n");
    write("key.pem", "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n");
    write("not.pem", "hello\n");
    write("pw", "s3cret-from-file\n");
  }
  ~Files() { std::filesystem::remove_all(dir); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  }
  std::string operator()(const std::string& name) const { return (dir / name).string(); }
};

template <class T>
std::vector<std::string> bind_yaml(const std::string& yaml, T& out) {
  Diagnostics diag;
  auto node = ConfigNode::parse(yaml, std::make_shared<const ConfigFile>(ConfigFile{"k.yaml"}),
                                diag, "sinks[0]");
  REQUIRE(node.has_value());
  read_value(node->child("x"), out, diag);
  return diag.errors();
}

bool has(const std::vector<std::string>& errors, const std::string& text) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(text) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& errors) {
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  return all;
}

}  // namespace

TEST_CASE("kafka tls: a written tls map turns TLS on and keeps its files") {
  Files f;
  KafkaTls t;
  CHECK(bind_yaml("x: {ca_file: " + f("ca.pem") + ", cert_file: " + f("ca.pem") +
                      ", key_file: " + f("key.pem") + ", key_password: kp}\n",
                  t)
            .empty());
  CHECK(t.enabled);
  CHECK(t.ca_file == f("ca.pem"));
  CHECK(t.key_password == "kp");
  CHECK(t.verify_hostname);
  KafkaTls empty;
  CHECK(bind_yaml("x: {}\n", empty).empty());
  CHECK(empty.enabled);
  KafkaTls off;
  CHECK(bind_yaml("x: {enabled: false}\n", off).empty());
  CHECK_FALSE(off.enabled);
}

TEST_CASE("kafka tls: a missing or non-PEM file is an error at its own line and column") {
  Files f;
  KafkaTls t;
  auto errors = bind_yaml("x:\n  ca_file: /nonexistent/ca.pem\n", t);
  CHECK(has(errors, "k.yaml:2:12: "));
  CHECK(has(errors, "cannot read: No such file or directory"));
  errors = bind_yaml("x:\n  ca_file: " + f("not.pem") + "\n", t);
  CHECK(has(errors, "k.yaml:2:12: "));
  CHECK(has(errors, "is not a PEM certificate"));
  errors = bind_yaml("x: {cert_file: " + f("ca.pem") + ", key_file: " + f("ca.pem") + "}\n", t);
  CHECK(has(errors, "is not a PEM private key"));
}

TEST_CASE("kafka tls: a certificate needs its key, and a key password needs the key") {
  Files f;
  KafkaTls t;
  CHECK(has(bind_yaml("x: {cert_file: " + f("ca.pem") + "}\n", t),
            "cert_file and key_file go together"));
  CHECK(has(bind_yaml("x: {key_password: p}\n", t), "key_password needs key_file"));
  CHECK(has(bind_yaml("x: {ca_flie: " + f("ca.pem") + "}\n", t), "did you mean 'ca_file'"));
}

TEST_CASE("kafka sasl: the password comes from the config, the environment or a file") {
  Files f;
  KafkaSasl s;
  CHECK(bind_yaml("x: {mechanism: scram-sha-512, username: u, password: p}\n", s).empty());
  CHECK(s.mechanism == SaslMechanism::kScramSha512);
  CHECK(s.password == "p");
  setenv("KAFKA_SECURITY_TEST_PW", "from-env", 1);
  CHECK(
      bind_yaml("x: {mechanism: plain, username: u, password: \"${KAFKA_SECURITY_TEST_PW}\"}\n", s)
          .empty());
  CHECK(s.password == "from-env");
  CHECK(
      bind_yaml("x: {mechanism: plain, username: u, password_file: " + f("pw") + "}\n", s).empty());
  CHECK(s.password == "s3cret-from-file");  // the trailing newline is not part of it
}

TEST_CASE("kafka sasl: bad combinations are errors that never show the password") {
  Files f;
  KafkaSasl s;
  auto errors = bind_yaml(
      "x: {mechanism: plain, username: u, password: hunter2, password_file: " + f("pw") + "}\n", s);
  CHECK(has(errors, "set password or password_file, not both"));
  CHECK(has(bind_yaml("x: {mechanism: plain, password: hunter2}\n", s),
            "missing required option 'username'"));
  CHECK(has(bind_yaml("x: {mechanism: plain, username: '', password: hunter2}\n", s),
            "username must not be empty"));
  CHECK(has(bind_yaml("x: {mechanism: plain, username: u}\n", s), "set password"));
  CHECK(has(bind_yaml("x: {mechanism: md5, username: u, password: hunter2}\n", s),
            "not one of: plain, scram-sha-256, scram-sha-512"));
  errors =
      bind_yaml("x:\n  mechanism: plain\n  username: u\n  password_file: /nonexistent/pw\n", s);
  CHECK(has(errors, "k.yaml:4:18: "));
  CHECK(has(errors, "cannot read"));
  f.write("empty", "\n");
  CHECK(has(bind_yaml("x: {mechanism: plain, username: u, password_file: " + f("empty") + "}\n", s),
            "the password is empty"));
  CHECK(joined(errors).find("hunter2") == std::string::npos);
}

TEST_CASE("kafka security: tls and sasl map to security.protocol, ssl.* and sasl.*") {
  using Settings = std::vector<std::pair<std::string, std::string>>;
  KafkaTls tls;
  KafkaSasl sasl;
  Settings none;
  append_security_settings(tls, sasl, none);
  CHECK(none.empty());  // plaintext: librdkafka's defaults

  tls.enabled = true;
  tls.ca_file = "/ca.pem";
  tls.cert_file = "/c.pem";
  tls.key_file = "/c.key";
  tls.key_password = "kp";
  Settings ssl;
  append_security_settings(tls, sasl, ssl);
  CHECK(ssl == Settings{{"security.protocol", "ssl"},
                        {"ssl.ca.location", "/ca.pem"},
                        {"ssl.certificate.location", "/c.pem"},
                        {"ssl.key.location", "/c.key"},
                        {"ssl.key.password", "kp"},
                        {"ssl.endpoint.identification.algorithm", "https"}});

  tls = KafkaTls{};
  tls.enabled = true;
  tls.verify_hostname = false;
  sasl.mechanism = SaslMechanism::kScramSha256;
  sasl.username = "u";
  sasl.password = "p";
  Settings sasl_ssl;
  append_security_settings(tls, sasl, sasl_ssl);
  CHECK(sasl_ssl == Settings{{"security.protocol", "sasl_ssl"},
                             {"ssl.endpoint.identification.algorithm", "none"},
                             {"sasl.mechanisms", "SCRAM-SHA-256"},
                             {"sasl.username", "u"},
                             {"sasl.password", "p"}});

  Settings sasl_plaintext;
  sasl.mechanism = SaslMechanism::kPlain;
  append_security_settings(KafkaTls{}, sasl, sasl_plaintext);
  CHECK(sasl_plaintext.front() ==
        std::make_pair(std::string("security.protocol"), std::string("sasl_plaintext")));
  CHECK(sasl_plaintext[1].second == "PLAIN");
}

TEST_CASE("kafka security: the reference shows no password") {
  KafkaSasl s;
  CHECK(format_value(s) == "off");
  s.mechanism = SaslMechanism::kPlain;
  // (Move-assigned: GCC 12 at -O3 warns falsely, -Wrestrict, on assigning a short literal.)
  s.username = std::string("u");
  s.password = std::string("hunter2");
  CHECK(format_value(s).find("hunter2") == std::string::npos);
  CHECK(format_value(KafkaTls{}) == "off");
}
