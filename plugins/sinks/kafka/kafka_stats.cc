#include "plugins/sinks/kafka/kafka_stats.h"

#include <simdjson.h>

#include <string>

namespace logagent::plugins::kafka {

std::optional<BrokerStats> parse_broker_stats(std::string_view json) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object brokers;
  if (doc["brokers"].get(brokers) != simdjson::SUCCESS) return std::nullopt;
  BrokerStats out;
  double rtt_sum = 0;
  int rtt_n = 0;
  for (auto field : brokers) {
    simdjson::dom::element b = field.value;
    int64_t nodeid = -1;
    if (b["nodeid"].get(nodeid) != simdjson::SUCCESS || nodeid < 0) continue;
    ++out.brokers_known;
    std::string_view state;
    if (b["state"].get(state) != simdjson::SUCCESS || state != "UP") continue;
    ++out.brokers_up;
    int64_t avg_us = 0;
    if (b["rtt"]["avg"].get(avg_us) == simdjson::SUCCESS && avg_us > 0) {
      rtt_sum += static_cast<double>(avg_us) / 1e6;
      ++rtt_n;
    }
  }
  if (rtt_n > 0) out.rtt_seconds = rtt_sum / rtt_n;
  return out;
}

}  // namespace logagent::plugins::kafka
