// RAII owners of librdkafka handles: a configuration (rd_kafka_conf_t), a producer (rd_kafka_t)
// and the producer's topic handles (rd_kafka_topic_t, one per rendered topic name).
//
// RdKafkaConf is built from the settings of kafka_options.h and given the sink's callbacks; it is
// consumed by RdKafkaProducer::create (librdkafka owns it once the producer exists).
// RdKafkaProducer destroys its topic handles before the producer itself. It does not flush: the
// owner decides what happens to messages still queued (see KafkaSink).
//
// Threads: topic() may be called from any thread (a shared lock guards the cache; librdkafka
// handles are thread-safe). Construction and destruction happen on one thread.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/api/status.h"
#include "plugins/sinks/kafka/kafka_options.h"

namespace logagent::plugins::kafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using RdKafkaConf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// A configuration with `settings` applied; the error names the first bad key.
Result<RdKafkaConf> make_conf(const std::vector<Setting>& settings);

// The default topic configuration of `conf` (created when the settings made none).
rd_kafka_topic_conf_t* default_topic_conf(rd_kafka_conf_t* conf);

class RdKafkaProducer {
 public:
  // Takes `conf`: librdkafka owns it on success; on failure it is destroyed here.
  static Result<std::unique_ptr<RdKafkaProducer>> create(RdKafkaConf conf);
  ~RdKafkaProducer();
  RdKafkaProducer(const RdKafkaProducer&) = delete;
  RdKafkaProducer& operator=(const RdKafkaProducer&) = delete;

  rd_kafka_t* get() const { return rk_; }
  // The handle for `name`, created on first use; nullptr (and `error` set) when librdkafka
  // refuses the name or `max_topics` handles exist already (handles live as long as the
  // producer: topics rendered from event fields must not grow memory without bound). What
  // happens to the refused messages is the caller's choice (see KafkaSink).
  rd_kafka_topic_t* topic(const std::string& name, size_t max_topics, std::string* error);

 private:
  explicit RdKafkaProducer(rd_kafka_t* rk) : rk_(rk) {}

  rd_kafka_t* rk_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, rd_kafka_topic_t*> topics_;  // guarded by mu_
};

}  // namespace logagent::plugins::kafka
