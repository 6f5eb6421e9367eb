// KafkaTls and KafkaSasl: the `tls:` and `sasl:` blocks of the kafka sink, and the librdkafka
// settings they map to.
//
//   tls: {ca_file: /etc/ssl/kafka-ca.pem, cert_file: c.pem, key_file: c.key, key_password: ...}
//   sasl: {mechanism: scram-sha-512, username: logagent, password: "${KAFKA_PASSWORD}"}
//   sasl: {mechanism: plain, username: logagent, password_file: /run/secrets/kafka}
//
// Files are checked while the configuration is bound (readable, and a PEM certificate or key),
// so a wrong path is a configuration error at its own FILE:LINE:COL rather than a failure of the
// producer at start. A password_file is read then, too: `password` holds the password whichever
// way it was given. No message here ever contains a password or a file's contents.
//
// Threads: plain values; bound on one thread, read-only afterwards.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/options.h"

namespace logagent::plugins::kafka {

struct KafkaTls {
  static constexpr std::string_view kTypeName = "map";

  bool enabled = false;  // true once a `tls:` map is written, unless it says `enabled: false`
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string key_password;
  bool verify_hostname = true;

  friend bool operator==(const KafkaTls&, const KafkaTls&) = default;
  static const Schema<KafkaTls>& schema();
};
bool read_value(const ConfigNode& node, KafkaTls& out, Diagnostics& diag);
std::string format_value(const KafkaTls& v);

enum class SaslMechanism { kPlain, kScramSha256, kScramSha512 };
constexpr std::array<std::string_view, 3> option_names(SaslMechanism) {
  return {"plain", "scram-sha-256", "scram-sha-512"};
}

struct KafkaSasl {
  static constexpr std::string_view kTypeName = "map";

  std::optional<SaslMechanism> mechanism;  // set when a `sasl:` map is bound
  std::string username;
  std::string password;       // as written (${ENV} expanded), or read from password_file
  std::string password_file;  // where `password` was read from, if anywhere

  bool enabled() const { return mechanism.has_value(); }
  friend bool operator==(const KafkaSasl&, const KafkaSasl&) = default;
  static const Schema<KafkaSasl>& schema();
};
bool read_value(const ConfigNode& node, KafkaSasl& out, Diagnostics& diag);
std::string format_value(const KafkaSasl& v);

// security.protocol, ssl.* and sasl.* for `tls` and `sasl`, appended to `out`; nothing when
// neither is enabled (librdkafka's default, plaintext).
void append_security_settings(const KafkaTls& tls, const KafkaSasl& sasl,
                              std::vector<std::pair<std::string, std::string>>& out);

}  // namespace logagent::plugins::kafka
