#include "plugins/sinks/kafka/auth_failure.h"

#include <fmt/format.h>

namespace logagent::plugins::kafka {
namespace {

// OpenSSL's X509_V_ERR_* values (x509_vfy.h; stable across OpenSSL 1.1 and 3), named here so the
// plugin does not link OpenSSL itself.
enum X509Error : int {
  kUnableToGetIssuerCert = 2,
  kCertSignatureFailure = 7,
  kCertNotYetValid = 9,
  kCertHasExpired = 10,
  kDepthZeroSelfSigned = 18,
  kSelfSignedInChain = 19,
  kUnableToGetIssuerLocally = 20,
  kUnableToVerifyLeaf = 21,
  kCertRevoked = 23,
  kInvalidPurpose = 26,
  kCertUntrusted = 27,
  kHostnameMismatch = 62,
  kIpAddressMismatch = 64,
};

}  // namespace

bool is_auth_failure(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL;
}

bool mentions_tls_failure(std::string_view text) {
  for (std::string_view s : {"SSL handshake failed", "SSL routines", "certificate verify failed"}) {
    if (text.find(s) != std::string_view::npos) return true;
  }
  return false;
}

bool mentions_auth_failure(std::string_view fac, std::string_view text) {
  if (fac == "SSLCERTVRFY") return true;  // the certificate-verify callback refused one
  return mentions_tls_failure(text) ||
         text.find("SASL authentication error") != std::string_view::npos;
}

std::string certificate_problem(int x509_error) {
  switch (x509_error) {
    case kCertHasExpired:
      return "the broker's certificate has expired";
    case kCertNotYetValid:
      return "the broker's certificate is not valid yet (check the clocks)";
    case kHostnameMismatch:
    case kIpAddressMismatch:
      return "the broker's certificate does not name the host it was reached at (wrong "
             "hostname; tls.verify_hostname)";
    case kUnableToGetIssuerCert:
    case kUnableToGetIssuerLocally:
    case kUnableToVerifyLeaf:
    case kSelfSignedInChain:
    case kDepthZeroSelfSigned:
    case kCertUntrusted:
      return "the broker's certificate is not signed by a trusted CA (untrusted; tls.ca_file)";
    case kCertSignatureFailure:
      return "the broker's certificate has a bad signature";
    case kCertRevoked:
      return "the broker's certificate is revoked";
    case kInvalidPurpose:
      return "the broker's certificate is not for TLS servers";
    default:
      return fmt::format("the broker's certificate was refused (X509 error {})", x509_error);
  }
}

std::string auth_failure_message(rd_kafka_resp_err_t err, std::string_view reason,
                                 std::string_view problem) {
  if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    return fmt::format(
        "SASL authentication failed: {}; check sasl.mechanism, sasl.username and the password",
        reason);
  }
  if (!problem.empty()) {
    return fmt::format("TLS handshake failed: certificate verify failed: {} ({})", problem, reason);
  }
  return fmt::format("TLS handshake failed: {}; check tls (ca_file, cert_file, key_file)", reason);
}

std::string scram_note() {
  if (rd_kafka_version() >= 0x020601ff) return {};
  return fmt::format(
      "; note: librdkafka {} (older than 2.6.1) cannot complete SCRAM with Kafka 4.x brokers "
      "even with the right password (librdkafka PR #4895): use mechanism plain over TLS, or a "
      "newer librdkafka",
      rd_kafka_version_str());
}

}  // namespace logagent::plugins::kafka
