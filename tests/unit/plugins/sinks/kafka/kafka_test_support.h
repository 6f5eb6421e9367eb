// Test helpers for the kafka sink: librdkafka's mock cluster (real TCP on 127.0.0.1), batches
// built from strings, a completion that records acknowledgements, and a consumer that reads a
// topic partition back.
#pragma once

#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <algorithm>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/plugin.h"
#include "agent/metrics/metrics_registry.h"
#include "plugins/sinks/kafka/kafka_sink.h"

namespace logagent::plugins::kafka::testing {

inline constexpr int16_t kProduceApiKey = 0;

// The whole content of the file at `p` ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A mock Kafka cluster with `brokers` brokers, owned by a private producer handle.
class MockCluster {
 public:
  explicit MockCluster(int brokers = 1) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    REQUIRE(rk_ != nullptr);
    mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
    REQUIRE(mc_ != nullptr);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  rd_kafka_mock_cluster_t* get() const { return mc_; }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
  void create_topic(const std::string& name, int partitions = 1) {
    REQUIRE(rd_kafka_mock_topic_create(mc_, name.c_str(), partitions, 1) ==
            RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void set_down(bool down) {
    if (down) {
      rd_kafka_mock_broker_set_down(mc_, 1);
    } else {
      rd_kafka_mock_broker_set_up(mc_, 1);
    }
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

struct Consumed {
  std::string payload;
  std::string key;
  std::map<std::string, std::string> headers;
};

// Reads every message of topic/partition from the beginning until `want` arrived or time is up.
inline std::vector<Consumed> consume_messages(
    const std::string& bootstraps, const std::string& topic, size_t want, int32_t partition = 0,
    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  REQUIRE(rk != nullptr);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  rd_kafka_consume_start(rkt, partition, RD_KAFKA_OFFSET_BEGINNING);
  std::vector<Consumed> out;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < until) {
    rd_kafka_message_t* m = rd_kafka_consume(rkt, partition, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Consumed c;
      c.payload.assign(static_cast<const char*>(m->payload), m->len);
      if (m->key != nullptr) c.key.assign(static_cast<const char*>(m->key), m->key_len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          c.headers[name].assign(static_cast<const char*>(value), size);
        }
      }
      out.push_back(std::move(c));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consume_stop(rkt, partition);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return out;
}

// The payloads only.
inline std::vector<std::string> consume(
    const std::string& bootstraps, const std::string& topic, size_t want, int32_t partition = 0,
    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  std::vector<std::string> out;
  for (auto& c : consume_messages(bootstraps, topic, want, partition, timeout)) {
    out.push_back(std::move(c.payload));
  }
  return out;
}

// A batch of `lines` from one source; the strings live as long as the fixture.
struct TestBatch {
  TestBatch(std::string path, std::vector<std::string> l) : lines(std::move(l)) {
    auto src = std::make_shared<SourceInfo>();
    src->path = std::move(path);
    batch.source = src;
    uint64_t offset = 0;
    for (const auto& s : lines) {
      batch.events.push_back(Event{s, offset, 0, 0});
      offset += s.size() + 1;
    }
    batch.end = offset;
  }
  std::vector<std::string> lines;
  Batch batch;
};

// Records acknowledgements; wait() blocks until `n` arrived.
class Completions final : public BatchCompletion {
 public:
  void sink_done(Batch* batch, SinkOutcome outcome, std::string_view) override {
    std::lock_guard lock(mu_);
    results_.emplace_back(batch, outcome == SinkOutcome::kDelivered);
    outcomes_.push_back(outcome);
    cv_.notify_all();
  }
  bool wait(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return results_.size() >= n; });
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return results_.size();
  }
  size_t count(SinkOutcome outcome) {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count(outcomes_.begin(), outcomes_.end(), outcome));
  }
  size_t ok_count() {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& r : results_) n += r.second;
    return n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Batch*, bool>> results_;
  std::vector<SinkOutcome> outcomes_;
};

// A PluginContext with real metrics and a private data dir.
struct SinkEnv {
  SinkEnv() {
    // Appends only: g++ 12 -O3 warns (-Wrestrict, a false positive) on "literal" + std::string.
    std::string name = "logagent-kafka-test-";
    name += std::to_string(::getpid());
    name += '-';
    name += std::to_string(counter()++);
    data_dir = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(data_dir);
    std::filesystem::create_directories(data_dir);
    ctx.pipeline = std::string("p");  // not = "p": the same g++ 12 -O3 false positive
    ctx.data_dir = data_dir.string();
    ctx.metrics = MetricsScope(registry, {{"pipeline", "p"}, {"sink", "kafka"}});
    ctx.abort = abort.get_token();
  }
  ~SinkEnv() { std::filesystem::remove_all(data_dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  double metric(const std::string& name, const Labels& extra = {}) const {
    return ctx.metrics.counter(name, "", extra).value();
  }

  std::shared_ptr<MetricsRegistry> registry = std::make_shared<MetricsRegistry>();
  std::stop_source abort;
  std::filesystem::path data_dir;
  PluginContext ctx;
};

inline KafkaOptions options(const std::string& bootstraps, const std::string& topic) {
  KafkaOptions o;
  o.brokers = {bootstraps};
  o.topic = topic;
  o.properties.values.insert_or_assign("log_level", std::string("3"));
  return o;
}

inline std::unique_ptr<Sink> make_sink(const KafkaOptions& o, const SinkEnv& env) {
  auto sink = KafkaSink::create(o, env.ctx);
  REQUIRE_MESSAGE(sink.is_ok(), (sink.is_ok() ? "" : sink.message()));
  return std::move(sink.value());
}

}  // namespace logagent::plugins::kafka::testing
