#include "plugins/sinks/kafka/kafka_stats.h"

#include <simdjson.h>

#include <string>

namespace logagent::plugins::kafka {

namespace {

void parse_leaders(simdjson::dom::element doc, std::vector<BrokerStats::Leader>& out) {
  simdjson::dom::object topics;
  if (doc["topics"].get(topics) != simdjson::SUCCESS) return;
  for (auto topic : topics) {
    simdjson::dom::object partitions;
    if (topic.value["partitions"].get(partitions) != simdjson::SUCCESS) continue;
    for (auto part : partitions) {
      int64_t id = -1;
      int64_t leader = -1;
      if (part.value["partition"].get(id) != simdjson::SUCCESS || id < 0) continue;
      if (part.value["leader"].get(leader) != simdjson::SUCCESS) continue;
      out.push_back(
          {std::string(topic.key), static_cast<int32_t>(id), static_cast<int32_t>(leader)});
    }
  }
}

}  // namespace

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
    uint64_t retries = 0;
    if (b["txretries"].get(retries) == simdjson::SUCCESS) out.request_retries += retries;
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
  parse_leaders(doc, out.leaders);
  return out;
}

}  // namespace logagent::plugins::kafka
