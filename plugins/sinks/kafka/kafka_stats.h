// Broker health from librdkafka's statistics JSON (statistics.interval.ms): whether any real
// broker connection is UP, and the mean request round-trip time of the brokers that are up.
// Bootstrap entries (nodeid -1) are ignored: they only exist until metadata names the brokers.
//
// Threads: a pure function; called on the sink's poll thread (stats_cb).
#pragma once

#include <optional>
#include <string_view>

namespace logagent::plugins::kafka {

struct BrokerStats {
  int brokers_up = 0;
  int brokers_known = 0;
  double rtt_seconds = 0;  // mean of the up brokers' rtt.avg; 0 when none has samples
};

// nullopt when `json` is not librdkafka statistics.
std::optional<BrokerStats> parse_broker_stats(std::string_view json);

}  // namespace logagent::plugins::kafka
