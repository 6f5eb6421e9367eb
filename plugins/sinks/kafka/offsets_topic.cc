#include "plugins/sinks/kafka/offsets_topic.h"

#include <fmt/format.h>

#include <memory>

namespace logagent::plugins::kafka {
namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

// The settings a consumer needs to reach the cluster as the producer does.
bool connection_setting(const std::string& key) {
  return key == "bootstrap.servers" || key == "security.protocol" || key.starts_with("ssl.") ||
         key.starts_with("sasl.") || key == "log_level" || key == "debug" || key == "client.id" ||
         key.starts_with("socket.") || key == "broker.address.family";
}

Result<KafkaPtr> make_consumer(const std::vector<Setting>& settings, const char* isolation) {
  char err[512] = {0};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) == RD_KAFKA_CONF_OK) {
      return true;
    }
    rd_kafka_conf_destroy(conf);
    return false;
  };
  for (const auto& [key, value] : settings) {
    if (connection_setting(key) && !set(key, value)) {
      return Status::error(fmt::format("offsets consumer: setting {}: {}", key, err));
    }
  }
  // fetch.wait.max.ms: a partition that ends with a commit marker (written by a transactional
  // producer, never delivered as a message) is read to its end only on the partition-EOF event,
  // which librdkafka sends after a fetch that found nothing; the broker holds such a fetch up to
  // fetch.wait.max.ms (500 ms by default) before it answers.
  if (!set("isolation.level", isolation) || !set("enable.partition.eof", "true") ||
      !set("enable.auto.commit", "false") || !set("fetch.wait.max.ms", "10")) {
    return Status::error(fmt::format("offsets consumer: {}", err));
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::error(fmt::format("offsets consumer: {}", err));
  }
  return KafkaPtr(rk);
}

int timeout_ms(std::chrono::milliseconds t) { return static_cast<int>(t.count()); }

// Partition count of `topic`: 0 when the cluster does not know it.
Result<int> partition_count(rd_kafka_t* rk, const std::string& topic,
                            std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms(timeout));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::error(fmt::format("metadata of {}: {}", topic, rd_kafka_err2str(err)));
  }
  int n = 0;
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    n = md->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  return n;
}

}  // namespace

Status create_offsets_topic(rd_kafka_t* rk, const std::string& topic,
                            std::chrono::milliseconds timeout) {
  if (auto known = partition_count(rk, topic, timeout); known && *known > 0) return Status::ok();
  char err[512] = {0};
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), -1, -1, err, sizeof(err));
  if (nt == nullptr) return Status::error(fmt::format("offsets topic {}: {}", topic, err));
  rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms(timeout), err, sizeof(err));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms(timeout) + 1000);
  Status st = Status::error("offsets topic " + topic + ": no answer to CreateTopics");
  if (ev != nullptr) {
    rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
    std::string why = e != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_event_error_string(ev) : "";
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        res != nullptr ? rd_kafka_CreateTopics_result_topics(res, &n) : nullptr;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && n == 1) {
      e = rd_kafka_topic_result_error(results[0]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) why = rd_kafka_topic_result_error_string(results[0]);
    }
    st = e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS
             ? Status::ok()
             : Status::error(
                   fmt::format("offsets topic {}: {} ({})", topic, why, rd_kafka_err2name(e)));
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_NewTopic_destroy(nt);
  return st;
}

Result<std::string> read_committed_value(const std::vector<Setting>& settings,
                                         const std::string& topic, const std::string& key,
                                         std::chrono::milliseconds timeout) {
  // The end offsets come from a read_uncommitted handle: a read_committed one would answer the
  // last stable offset, which another agent's open transaction may hold below our last record.
  auto probe = make_consumer(settings, "read_uncommitted");
  if (!probe) return probe.status();
  auto partitions = partition_count(probe->get(), topic, timeout);
  if (!partitions) return partitions.status();
  std::vector<int64_t> end(static_cast<size_t>(*partitions), 0);
  for (int32_t p = 0; p < *partitions; ++p) {
    int64_t low = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        probe->get(), topic.c_str(), p, &low, &end[static_cast<size_t>(p)], timeout_ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::error(fmt::format("end offset of {}/{}: {}", topic, p, rd_kafka_err2str(err)));
    }
    if (low >= end[static_cast<size_t>(p)]) end[static_cast<size_t>(p)] = -1;  // empty
  }
  auto consumer = make_consumer(settings, "read_committed");
  if (!consumer) return consumer.status();
  rd_kafka_t* rk = consumer->get();
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  // The partitions' leaders known before consuming starts: without them librdkafka retries its
  // query of the BEGINNING offset after 500 ms.
  if (auto known = partition_count(rk, topic, timeout); !known) {
    rd_kafka_topic_destroy(rkt);
    return known.status();
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  std::vector<int32_t> started;
  for (int32_t p = 0; p < *partitions; ++p) {
    if (end[static_cast<size_t>(p)] < 0) continue;
    rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q);
    started.push_back(p);
  }
  size_t left = started.size();
  std::string value;
  std::string error;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (left > 0 && error.empty() && std::chrono::steady_clock::now() < until) {
    rd_kafka_message_t* m = rd_kafka_consume_queue(q, 100);
    if (m == nullptr) continue;
    const auto p = static_cast<size_t>(m->partition);
    const bool reading = m->partition >= 0 && p < end.size() && end[p] >= 0;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->key_len == key.size() &&
        key.compare(0, key.size(), static_cast<const char*>(m->key), m->key_len) == 0) {
      value.assign(static_cast<const char*>(m->payload), m->len);
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      error = rd_kafka_message_errstr(m);
    }
    const bool at_end =
        reading && (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF
                        ? m->offset >= end[p]
                        : m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset + 1 >= end[p]);
    if (at_end) {
      end[p] = -1;
      --left;
    }
    rd_kafka_message_destroy(m);
  }
  for (int32_t p : started) rd_kafka_consume_stop(rkt, p);
  rd_kafka_queue_destroy(q);
  rd_kafka_topic_destroy(rkt);
  if (!error.empty()) return Status::error(fmt::format("reading {}: {}", topic, error));
  if (left > 0) {
    return Status::error(fmt::format("reading {}: {} partition(s) not read to their end in {}ms",
                                     topic, left, timeout.count()));
  }
  return value;
}

}  // namespace logagent::plugins::kafka
