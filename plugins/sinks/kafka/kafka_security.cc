#include "plugins/sinks/kafka/kafka_security.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

namespace logagent::plugins::kafka {
namespace {

// The contents of `path`, or nullopt and the reason (never the contents) in `why`.
std::optional<std::string> read_small_file(const std::string& path, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::string("cannot read: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  constexpr size_t kMax = 1 << 20;  // certificates, keys and passwords are small
  text.resize(kMax + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) {
    why = std::string("cannot read: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (text.size() > kMax) {
    why = "larger than 1MiB";
    return std::nullopt;
  }
  return text;
}

// Checks that the file named by `key` (when set) is readable and holds a PEM block whose marker
// contains `marker`; reports at the key's value.
bool check_pem(const ConfigNode& node, const char* key, const std::string& path,
               std::string_view marker, std::string_view what, Diagnostics& diag) {
  if (path.empty()) return true;
  std::string why;
  const auto text = read_small_file(path, why);
  const bool pem = text && text->find(marker) != std::string::npos;
  if (text && !pem)
    why = "is not a PEM " + std::string(what) + " (no '" + std::string(marker) + "')";
  if (!pem) diag.error(node.child(key), "'" + path + "' " + why);
  return pem;
}

Schema<KafkaTls> make_tls_schema() {
  using T = KafkaTls;
  Schema<T> s;
  s.field("enabled", &T::enabled, "TLS on (the default once `tls:` is written) or off.");
  s.field("ca_file", &T::ca_file,
          "PEM file of the CA certificates that sign the brokers' certificates; empty: the "
          "system's CA store.");
  s.field("cert_file", &T::cert_file, "PEM client certificate (mutual TLS), with key_file.");
  s.field("key_file", &T::key_file, "PEM private key of cert_file.");
  s.field("key_password", &T::key_password, "Password of an encrypted key_file.");
  s.field("verify_hostname", &T::verify_hostname,
          "Check that a broker's certificate names the host (or IP) it was reached at.");
  return s;
}

Schema<KafkaSasl> make_sasl_schema() {
  using S = KafkaSasl;
  Schema<S> s;
  s.field("mechanism", &S::mechanism, "plain, scram-sha-256 or scram-sha-512.").required();
  s.field("username", &S::username, "SASL user.").required();
  s.field("password", &S::password,
          "SASL password (write \"${VAR}\" to take it from the "
          "environment).");
  s.field("password_file", &S::password_file,
          "File holding the password (one trailing newline is ignored).");
  return s;
}

}  // namespace

const Schema<KafkaTls>& KafkaTls::schema() {
  static const Schema<KafkaTls> s = make_tls_schema();
  return s;
}

const Schema<KafkaSasl>& KafkaSasl::schema() {
  static const Schema<KafkaSasl> s = make_sasl_schema();
  return s;
}

bool read_value(const ConfigNode& node, KafkaTls& out, Diagnostics& diag) {
  if (!node.is_map()) {
    diag.error(node, "expected a map such as {ca_file: /etc/ssl/kafka-ca.pem}");
    return false;
  }
  KafkaTls t;
  t.enabled = true;
  if (!KafkaTls::schema().bind(node, t, diag)) return false;
  bool ok = true;
  if (t.cert_file.empty() != t.key_file.empty()) {
    diag.error(node.child(t.cert_file.empty() ? "key_file" : "cert_file"),
               "cert_file and key_file go together (mutual TLS)");
    ok = false;
  }
  if (!t.key_password.empty() && t.key_file.empty()) {
    diag.error(node.child("key_password"), "key_password needs key_file");
    ok = false;
  }
  if (t.enabled) {
    ok =
        check_pem(node, "ca_file", t.ca_file, "-----BEGIN CERTIFICATE-----", "certificate", diag) &&
        ok;
    ok = check_pem(node, "cert_file", t.cert_file, "-----BEGIN CERTIFICATE-----", "certificate",
                   diag) &&
         ok;
    ok = check_pem(node, "key_file", t.key_file, "PRIVATE KEY-----", "private key", diag) && ok;
  }
  if (ok) out = std::move(t);
  return ok;
}

std::string format_value(const KafkaTls& v) {
  if (!v.enabled) return "off";
  return v.ca_file.empty() ? "{}" : "{ca_file: " + v.ca_file + "}";
}

bool read_value(const ConfigNode& node, KafkaSasl& out, Diagnostics& diag) {
  if (!node.is_map()) {
    diag.error(node,
               "expected a map such as {mechanism: scram-sha-512, username: u, "
               "password: \"${KAFKA_PASSWORD}\"}");
    return false;
  }
  KafkaSasl s;
  if (!KafkaSasl::schema().bind(node, s, diag)) return false;
  if (s.username.empty()) {
    diag.error(node.child("username"), "username must not be empty");
    return false;
  }
  const bool inline_password = node.child("password").defined();
  if (inline_password && !s.password_file.empty()) {
    diag.error(node.child("password_file"), "set password or password_file, not both");
    return false;
  }
  if (!s.password_file.empty()) {
    std::string why;
    auto text = read_small_file(s.password_file, why);
    if (!text) {
      diag.error(node.child("password_file"), "'" + s.password_file + "' " + why);
      return false;
    }
    if (text->ends_with('\n')) text->pop_back();
    if (text->ends_with('\r')) text->pop_back();
    s.password = std::move(*text);
  } else if (!inline_password) {
    diag.error(node, "set password (e.g. \"${KAFKA_PASSWORD}\") or password_file");
    return false;
  }
  if (s.password.empty()) {
    diag.error(node.child(s.password_file.empty() ? "password" : "password_file"),
               "the password is empty");
    return false;
  }
  out = std::move(s);
  return true;
}

std::string format_value(const KafkaSasl& v) {
  if (!v.enabled()) return "off";
  return "{mechanism: " + std::string(option_name(*v.mechanism)) + ", username: " + v.username +
         "}";  // never the password
}

void append_security_settings(const KafkaTls& tls, const KafkaSasl& sasl,
                              std::vector<std::pair<std::string, std::string>>& out) {
  if (!tls.enabled && !sasl.enabled()) return;
  const char* protocol = sasl.enabled() ? (tls.enabled ? "sasl_ssl" : "sasl_plaintext") : "ssl";
  out.emplace_back("security.protocol", protocol);
  if (tls.enabled) {
    if (!tls.ca_file.empty()) out.emplace_back("ssl.ca.location", tls.ca_file);
    if (!tls.cert_file.empty()) out.emplace_back("ssl.certificate.location", tls.cert_file);
    if (!tls.key_file.empty()) out.emplace_back("ssl.key.location", tls.key_file);
    if (!tls.key_password.empty()) out.emplace_back("ssl.key.password", tls.key_password);
    out.emplace_back("ssl.endpoint.identification.algorithm",
                     tls.verify_hostname ? "https" : "none");
  }
  if (sasl.enabled()) {
    static constexpr std::array<const char*, 3> kNames = {"PLAIN", "SCRAM-SHA-256",
                                                          "SCRAM-SHA-512"};
    out.emplace_back("sasl.mechanisms", kNames[static_cast<size_t>(*sasl.mechanism)]);
    out.emplace_back("sasl.username", sasl.username);
    out.emplace_back("sasl.password", sasl.password);
  }
}

}  // namespace logagent::plugins::kafka
