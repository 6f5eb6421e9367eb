#include "plugins/sinks/kafka/auth_failure.h"

#include <doctest/doctest.h>

using namespace logagent::plugins::kafka;

TEST_CASE("auth failure: only TLS and SASL errors count as authentication failures") {
  CHECK(is_auth_failure(RD_KAFKA_RESP_ERR__AUTHENTICATION));
  CHECK(is_auth_failure(RD_KAFKA_RESP_ERR__SSL));
  CHECK_FALSE(is_auth_failure(RD_KAFKA_RESP_ERR__TRANSPORT));
  CHECK_FALSE(is_auth_failure(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN));
}

TEST_CASE("auth failure: OpenSSL's verification errors are named by their cause") {
  CHECK(certificate_problem(10).find("has expired") != std::string::npos);
  CHECK(certificate_problem(9).find("not valid yet") != std::string::npos);
  CHECK(certificate_problem(62).find("wrong hostname") != std::string::npos);
  CHECK(certificate_problem(64).find("wrong hostname") != std::string::npos);
  for (int untrusted : {2, 18, 19, 20, 21, 27}) {
    CHECK(certificate_problem(untrusted).find("not signed by a trusted CA") != std::string::npos);
  }
  CHECK(certificate_problem(999).find("X509 error 999") != std::string::npos);
}

TEST_CASE("auth failure: the message names the cause and what to check") {
  const std::string sasl = auth_failure_message(RD_KAFKA_RESP_ERR__AUTHENTICATION,
                                                "b/1: SASL authentication error: bad", "");
  CHECK(sasl.starts_with("SASL authentication failed: b/1: SASL authentication error: bad"));
  CHECK(sasl.find("sasl.username") != std::string::npos);
  const std::string cert = auth_failure_message(RD_KAFKA_RESP_ERR__SSL, "b/1: SSL handshake failed",
                                                certificate_problem(10));
  CHECK(
      cert.starts_with("TLS handshake failed: certificate verify failed: the broker's "
                       "certificate has expired (b/1: SSL handshake failed)"));
  const std::string other =
      auth_failure_message(RD_KAFKA_RESP_ERR__SSL, "b/1: SSL handshake failed: no cipher", "");
  CHECK(other.starts_with("TLS handshake failed: b/1: SSL handshake failed: no cipher"));
}

TEST_CASE("auth failure: librdkafka's own lines about failed logins and handshakes are known") {
  CHECK(mentions_auth_failure("FAIL", "x: SASL authentication error: Authentication failed"));
  CHECK(mentions_auth_failure("FAIL", "x: SSL handshake failed: error:0A000086:SSL routines::"));
  CHECK(mentions_auth_failure("", "x: error:0A000086:SSL routines::certificate verify failed"));
  CHECK(mentions_auth_failure("SSLCERTVRFY", "Certificate (subject=/CN=a) verification failed"));
  CHECK_FALSE(mentions_auth_failure("FAIL", "x: Connect to ipv4#127.0.0.1:9 failed: refused"));
  CHECK(mentions_tls_failure("x: error:0A000086:SSL routines::certificate verify failed"));
  CHECK_FALSE(
      mentions_tls_failure("x: SASL authentication error: SaslAuthenticateRequest "
                           "failed: Local: Broker transport failure"));
}

TEST_CASE("auth failure: the SCRAM note appears only with a librdkafka older than 2.6.1") {
  const std::string note = scram_note();
  if (rd_kafka_version() < 0x020601ff) {
    CHECK(note.find("PR #4895") != std::string::npos);
  } else {
    CHECK(note.empty());
  }
}
