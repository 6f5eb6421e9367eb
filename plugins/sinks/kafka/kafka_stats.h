// Broker health from librdkafka's statistics JSON (statistics.interval.ms): whether any real
// broker connection is UP, the mean request round-trip time of the brokers that are up, the
// requests the brokers were sent again (txretries), and each partition's leader.
// Bootstrap entries (nodeid -1) are ignored: they only exist until metadata names the brokers.
//
// Threads: a pure function; called on the sink's poll thread (stats_cb).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logagent::plugins::kafka {

struct BrokerStats {
  int brokers_up = 0;
  int brokers_known = 0;
  double rtt_seconds = 0;        // mean of the up brokers' rtt.avg; 0 when none has samples
  uint64_t request_retries = 0;  // sum of the brokers' txretries (each since its connection began)
  struct Leader {
    std::string topic;
    int32_t partition = 0;
    int32_t broker = -1;  // -1: no leader known
  };
  std::vector<Leader> leaders;  // every partition of every topic (not the unassigned -1)
};

// nullopt when `json` is not librdkafka statistics.
std::optional<BrokerStats> parse_broker_stats(std::string_view json);

}  // namespace logagent::plugins::kafka
