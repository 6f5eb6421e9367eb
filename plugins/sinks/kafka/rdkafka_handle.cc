#include "plugins/sinks/kafka/rdkafka_handle.h"

#include <fmt/format.h>

#include <cerrno>
#include <mutex>

namespace logagent::plugins::kafka {

Result<RdKafkaConf> make_conf(const std::vector<Setting>& settings) {
  RdKafkaConf conf(rd_kafka_conf_new());
  for (const auto& [key, value] : settings) {
    char errstr[512] = {0};
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      return Status::error(fmt::format("librdkafka setting {}={}: {}", key,
                                       secret_property(key) ? "[redacted]" : value,
                                       redact_secret(key, value, errstr)));
    }
  }
  return conf;
}

rd_kafka_topic_conf_t* default_topic_conf(rd_kafka_conf_t* conf) {
  rd_kafka_topic_conf_t* tc = rd_kafka_conf_get_default_topic_conf(conf);
  if (tc == nullptr) {
    rd_kafka_conf_set_default_topic_conf(conf, rd_kafka_topic_conf_new());
    tc = rd_kafka_conf_get_default_topic_conf(conf);
  }
  return tc;
}

Result<std::unique_ptr<RdKafkaProducer>> RdKafkaProducer::create(RdKafkaConf conf) {
  char errstr[512] = {0};
  rd_kafka_conf_t* raw = conf.release();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, raw, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(raw);  // not consumed on failure
    return Status::error(std::string("cannot create the Kafka producer: ") + errstr);
  }
  return std::unique_ptr<RdKafkaProducer>(new RdKafkaProducer(rk));
}

RdKafkaProducer::~RdKafkaProducer() {
  for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
  topics_.clear();
  rd_kafka_destroy(rk_);
}

rd_kafka_topic_t* RdKafkaProducer::topic(const std::string& name, size_t max_topics,
                                         std::string* error) {
  {
    std::shared_lock lock(mu_);
    if (auto it = topics_.find(name); it != topics_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  if (auto it = topics_.find(name); it != topics_.end()) return it->second;
  if (topics_.size() >= max_topics) {
    *error = "topic '" + name + "': more than max_topics (" + std::to_string(max_topics) +
             ") distinct topics";
    return nullptr;
  }
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, name.c_str(), nullptr);
  if (rkt == nullptr) {
    *error = "topic '" + name + "': " + rd_kafka_err2str(rd_kafka_last_error());
    return nullptr;
  }
  topics_.emplace(name, rkt);
  return rkt;
}

}  // namespace logagent::plugins::kafka
