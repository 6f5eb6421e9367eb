// KafkaSink: construction and destruction, write() (lane threads: a batch becomes a delivery
// record and its messages) and flush. Routing is in kafka_sink_route.cc, producing with
// backpressure in kafka_sink_produce.cc, the poll thread, librdkafka's callbacks and batch
// completion in kafka_sink_poll.cc.
#include "plugins/sinks/kafka/kafka_sink.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>

#include "agent/api/source.h"
#include "agent/core/clock.h"
#include "agent/core/host_name.h"
#include "plugins/sinks/kafka/message_builder.h"

namespace logagent::plugins::kafka {
namespace {

std::string sink_label(const PluginContext& ctx) {
  auto it = ctx.metrics.labels().find("sink");
  return it == ctx.metrics.labels().end() ? std::string(KafkaSink::kName) : it->second;
}

}  // namespace

std::string KafkaSink::dead_letter_path(const PluginContext& ctx) {
  return ctx.data_dir + "/" + ctx.pipeline + "." + sink_label(ctx) + ".deadletter.ndjson";
}

std::string KafkaSink::refused_path(const PluginContext& ctx) {
  return ctx.data_dir + "/" + ctx.pipeline + "." + sink_label(ctx) + ".refused";
}

KafkaSink::KafkaSink(const Options& o, const PluginContext& ctx)
    : name_("kafka sink " + ctx.pipeline + "/" + sink_label(ctx)),
      pipeline_(ctx.pipeline),
      label_(sink_label(ctx)),
      host_(host_name()),
      format_(o.format == KafkaFormat::kRaw ? EventFormat::kRaw : EventFormat::kJson),
      payload_format_(o.format),
      batch_mode_(o.mode == KafkaMode::kBatch),
      // OTLP payloads are compressed by librdkafka (the receiver expects Kafka's compression).
      zstd_(o.compression == KafkaCompression::kZstd && !is_otlp(o.format)),
      spec_{format_, zstd_ ? Compression::kZstd : Compression::kNone,
            o.compression_level < 0 ? 3 : o.compression_level},
      dead_letter_enabled_(o.dead_letter),
      max_topics_(o.max_topics),
      abort_(ctx.abort),
      metrics_(ctx.metrics),
      dlq_(dead_letter_path(ctx)),
      unknown_topic_timeout_(o.unknown_topic_timeout.value),
      tracker_(*this, unknown_topic_timeout_),
      txn_interval_(o.transaction_interval.value),
      txn_batches_(o.transaction_batches),
      offsets_topic_(o.offsets_topic),
      refused_(refused_path(ctx)) {}

Result<std::unique_ptr<Sink>> KafkaSink::create(const Options& o, const PluginContext& ctx) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink(o, ctx));
  if (Status st = sink->start(o); !st) return st;
  return std::unique_ptr<Sink>(std::move(sink));
}

Status KafkaSink::start(const Options& o) {
  auto topic = Template::parse(o.topic, kTemplateSyntax);
  if (!topic) return topic.status();
  topic_ = std::move(topic.value());
  auto key = Template::parse(o.key, kTemplateSyntax);
  if (!key) return key.status();
  key_ = std::move(key.value());
  for (const auto& [name, value] : o.headers) {
    auto h = Template::parse(value, kTemplateSyntax);
    if (!h) return h.status();
    headers_use_fields_ = headers_use_fields_ || h->uses_fields();
    headers_.push_back({name, std::move(h.value())});
  }
  settings_ = librdkafka_settings(o);
  for (const auto& [name, value] : settings_) {  // properties may override the options
    std::string v = value;
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "security.protocol") tls_ = v == "ssl" || v == "sasl_ssl";
    if (name == "sasl.mechanisms") scram_ = v.starts_with("scram");
  }
  own_partitioner_ = !o.properties.values.contains("partitioner");
  auto producer = make_producer();
  if (!producer) return producer.status();
  producer_ = std::move(producer.value());
  poll_thread_ = std::jthread([this](std::stop_token st) { poll_loop(st); });
  spdlog::info("{}: producing to {} (mode {}, {} compression)", name_, o.topic, option_name(o.mode),
               option_name(o.compression));
  return Status::ok();
}

Result<std::unique_ptr<RdKafkaProducer>> KafkaSink::make_producer() {
  auto conf = make_conf(settings_);
  if (!conf) return conf.status();
  rd_kafka_conf_t* c = conf->get();
  rd_kafka_conf_set_opaque(c, this);
  rd_kafka_conf_set_dr_msg_cb(c, &KafkaSink::dr_cb);
  rd_kafka_conf_set_stats_cb(c, &KafkaSink::stats_cb);
  rd_kafka_conf_set_error_cb(c, &KafkaSink::error_cb);
  rd_kafka_conf_set_log_cb(c, &KafkaSink::log_cb);
  if (tls_ &&
      rd_kafka_conf_set_ssl_cert_verify_cb(c, &KafkaSink::cert_verify_cb) != RD_KAFKA_CONF_OK) {
    spdlog::warn(
        "{}: librdkafka has no certificate-verify callback: TLS errors will not name "
        "their cause",
        name_);
  }
  if (own_partitioner_) {
    rd_kafka_topic_conf_set_partitioner_cb(default_topic_conf(c), &KafkaSink::partition_cb);
  }
  return RdKafkaProducer::create(std::move(conf.value()));
}

KafkaSink::~KafkaSink() {
  poll_thread_.request_stop();
  if (poll_thread_.joinable()) poll_thread_.join();
  if (producer_) {
    rd_kafka_t* rk = producer_->get();
    // Normally flush() settled everything; whatever is left is given up (not checkpointed).
    if (rd_kafka_outq_len(rk) > 0 || tracker_.open_records() > 0) {
      tracker_.abort();
      rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (rd_kafka_outq_len(rk) > 0 && std::chrono::steady_clock::now() < until) {
        rd_kafka_poll(rk, 50);
        settle_delivered();
      }
    }
    if (txn_ && txn_->failed.empty()) {
      // Not committed: aborted now rather than left open until transaction.timeout.ms, which
      // would hold read_committed consumers of its partitions back.
      tracker_.abort();
      if (rd_kafka_error_t* e = rd_kafka_abort_transaction(rk, 5000)) rd_kafka_error_destroy(e);
      settle_delivered();
    }
    producer_.reset();   // no callback runs after this
    settle_delivered();  // a report served while it was being destroyed
  }
  tracker_.fail_all();
  // Nothing publishes these series any more (a sink removed by a reload keeps its labels'
  // series): they must not show as pending what is settled now. A sink made again under the
  // same labels publishes its own within 100 ms.
  metrics_.in_flight.set(0);
  metrics_.batches_pending.set(0);
}

void KafkaSink::write(const Batch& batch, SinkAck ack) {
  if (batch.live_events() == 0) {
    ack.delivered();
    return;
  }
  // delivery: exactly_once: inside the gate for the whole write (a commit waits for it to leave).
  if (txn_ && !enter_transaction(ack)) return;
  struct LeaveTransaction {
    KafkaSink* sink;
    ~LeaveTransaction() {
      if (sink != nullptr) sink->leave_transaction();
    }
  } leave_txn{txn_ ? this : nullptr};
  // Counted before the check (both seq_cst): the poll thread sets recovering_, then waits for
  // writers_ to be 0 before it replaces the producer, so no write uses a destroyed one.
  writers_.fetch_add(1);
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { n.fetch_sub(1); }
  } leave{writers_};
  if (recovering_.load()) {
    ack.retry("the Kafka producer is being re-created after a fatal error");
    return;
  }
  if (tracker_.aborting()) {
    ack.retry("shutting down");
    return;
  }
  rd_kafka_topic_t* rkt = nullptr;
  if (!topic_.uses_fields()) {
    std::string why;
    rkt = topic_for(batch, &why);
    if (rkt == nullptr) {
      ack.rejected(why);
      return;
    }
  }
  wait_for_retries();
  DeliveryRecord* r = tracker_.open(batch, std::move(ack));
  r->rkt = rkt;
  r->partition_hash = batch.source ? fingerprint_hash(batch.source->path) : 0;
  if (!key_.empty() && !key_.uses_fields()) key_.render(vars(batch, 0), r->key);
  r->produced_mono_ns = mono_now_ns();
  if (batch_mode_) {
    write_batch(r);
  } else {
    write_records(r);
  }
  tracker_.seal(r);
}

std::optional<EncodeSpec> KafkaSink::encoding() const {
  if (is_otlp(payload_format_)) return std::nullopt;  // encoded by write() on the lane thread
  if (batch_mode_) return spec_;
  if (format_ == EventFormat::kJson) return EncodeSpec{EventFormat::kJson, Compression::kNone, 0};
  return std::nullopt;  // raw records view the batch's chunks: nothing to encode
}

Status KafkaSink::flush(std::chrono::steady_clock::time_point deadline) {
  while (tracker_.open_records() > 0 && !abort_.stop_requested() &&
         std::chrono::steady_clock::now() < deadline) {
    std::unique_lock lock(space_mu_);
    space_cv_.wait_for(lock, std::chrono::milliseconds(5));
  }
  const size_t left = tracker_.open_records();
  if (left == 0) return txn_ ? flush_transactions(deadline) : Status::ok();
  return Status::error(name_ + ": " + std::to_string(left) +
                       " batches not yet acknowledged by Kafka at the shutdown deadline");
}

std::string KafkaSink::not_ready() const {
  // Statistics arrive every second: a fresh sink reports ready within about a second of its
  // first broker connection.
  std::lock_guard lock(log_mu_);
  if (!txn_failed_.empty()) return txn_failed_;
  if (broker_up_.load(std::memory_order_relaxed)) return {};
  if (auth_error_.empty()) return "no Kafka broker connected";
  return "no Kafka broker connected: " + auth_error_;
}

}  // namespace logagent::plugins::kafka
