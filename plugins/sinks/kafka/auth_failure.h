// Authentication failures of the kafka sink, said the way a user can act on them.
//
// librdkafka reports a failed TLS handshake as RD_KAFKA_RESP_ERR__SSL with one text for every
// certificate problem ("certificate verify failed: broker certificate could not be verified,
// verify that ssl.ca.location is correctly configured ..."), and a refused SASL login as
// RD_KAFKA_RESP_ERR__AUTHENTICATION. The sink's certificate-verify callback learns the precise
// cause from OpenSSL's x509 error code (expired, untrusted issuer, wrong host name);
// certificate_problem() names it, and auth_failure_message() builds the one line logged at start
// and shown by /ready. The texts carry librdkafka's reason, which never holds a password.
//
// Threads: pure functions.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

namespace logagent::plugins::kafka {

// True for the errors auth_failure_message() describes (_AUTHENTICATION, _SSL).
bool is_auth_failure(rd_kafka_resp_err_t err);

// True when librdkafka's error text is about a failed TLS handshake.
bool mentions_tls_failure(std::string_view text);
// True when librdkafka's log line or error text (facility `fac`, may be empty) is about a failed
// TLS handshake or SASL login.
bool mentions_auth_failure(std::string_view fac, std::string_view text);

// The cause behind OpenSSL's x509 verification error `x509_error` (X509_V_ERR_*), e.g. "the
// broker's certificate has expired"; a generic text with the code for the others.
std::string certificate_problem(int x509_error);

// "SASL authentication failed: REASON; check ..." or "TLS handshake failed: PROBLEM: REASON;
// check ...". `problem` is certificate_problem()'s text, or empty when none was seen.
std::string auth_failure_message(rd_kafka_resp_err_t err, std::string_view reason,
                                 std::string_view problem);

// With a librdkafka older than 2.6.1 (rd_kafka_version()): "; note: librdkafka VERSION ..." --
// it cannot complete SCRAM with Kafka 4.x brokers even with the right password (librdkafka PR
// #4895). Empty with a newer librdkafka.
std::string scram_note();

}  // namespace logagent::plugins::kafka
