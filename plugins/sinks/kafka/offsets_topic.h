// The offsets topic of delivery: exactly_once: where each Kafka transaction of the sink commits
// the pipeline's checkpoint text (one record, key "<host>/<pipeline>/<sink>"), and where the
// sink reads it back when it starts (kafka_sink_transaction.cc).
//
// Threads: blocking calls, made from the thread that calls begin_exactly_once().
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <string>
#include <vector>

#include "agent/api/status.h"
#include "plugins/sinks/kafka/kafka_options.h"

namespace logagent::plugins::kafka {

// Creates `topic`, unless the cluster knows it, with cleanup.policy=compact (the broker's default
// partitions and replication) through `rk`. An existing topic is fine; another failure is returned
// (the caller may go on: the broker may create the topic itself on the first produce).
Status create_offsets_topic(rd_kafka_t* rk, const std::string& topic,
                            std::chrono::milliseconds timeout);

// The value of the last committed record with key `key` in `topic`, read with a read_committed
// consumer made from the connection settings among `settings` (brokers, TLS, SASL): every
// partition is read up to the end offset it had when the read began. "" when the topic does not
// exist or holds no such record. An error when the cluster cannot be read before `timeout`.
Result<std::string> read_committed_value(const std::vector<Setting>& settings,
                                         const std::string& topic, const std::string& key,
                                         std::chrono::milliseconds timeout);

}  // namespace logagent::plugins::kafka
