// KafkaSink: construction, the write path (lane threads) and flush. The poll thread, the
// librdkafka callbacks and batch completion are in kafka_sink_poll.cc.
#include "plugins/sinks/kafka/kafka_sink.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

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

KafkaSink::KafkaSink(const Options& o, const PluginContext& ctx)
    : name_("kafka sink " + ctx.pipeline + "/" + sink_label(ctx)),
      pipeline_(ctx.pipeline),
      host_(host_name()),
      format_(o.format),
      batch_mode_(o.mode == KafkaMode::kBatch),
      zstd_(o.compression == KafkaCompression::kZstd),
      spec_{format_, zstd_ ? Compression::kZstd : Compression::kNone,
            o.compression_level < 0 ? 3 : o.compression_level},
      dead_letter_enabled_(o.dead_letter),
      max_topics_(o.max_topics),
      abort_(ctx.abort),
      metrics_(ctx.metrics),
      dlq_(dead_letter_path(ctx)),
      tracker_(*this) {}

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
      }
    }
    producer_.reset();  // no callback runs after this
  }
  tracker_.fail_all();
}

TemplateVars KafkaSink::vars(const Batch& batch, size_t event) const {
  return TemplateVars{batch.source ? std::string_view(batch.source->path) : std::string_view(),
                      pipeline_, host_, &batch, event};
}

rd_kafka_topic_t* KafkaSink::topic_named(const std::string& name, std::string* why) {
  std::string error;
  rd_kafka_topic_t* rkt = producer_->topic(name, max_topics_, &error);
  if (rkt == nullptr) {
    if (why != nullptr) *why = error;
    std::lock_guard lock(log_mu_);
    if (logged_.insert("topic:" + name).second) spdlog::error("{}: {}", name_, error);
  }
  return rkt;
}

rd_kafka_topic_t* KafkaSink::topic_for(const Batch& batch, std::string* why) {
  thread_local std::string name;
  name.clear();
  topic_.render(vars(batch, 0), name);
  if (!topic_.is_literal()) sanitize_topic_name(name);
  return topic_named(name, why);
}

void KafkaSink::write(const Batch& batch, SinkAck ack) {
  if (batch.live_events() == 0) {
    ack.delivered();
    return;
  }
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

bool KafkaSink::route_per_event(DeliveryRecord* r, std::vector<rd_kafka_message_t>& msgs) {
  const bool topics = topic_.uses_fields();
  const bool keys = key_.uses_fields();
  if (!topics && !keys) return true;
  r->per_event_keys = keys;
  thread_local std::string name;
  thread_local std::string last_name;
  rd_kafka_topic_t* last = nullptr;
  last_name.clear();
  for (const rd_kafka_message_t& m : msgs) {
    auto* ref = static_cast<MessageRef*>(m._private);
    const TemplateVars v = vars(*r->batch, ref->event);  // kWholeBatch: no fields, defaults
    if (topics) {
      name.clear();
      topic_.render(v, name);
      sanitize_topic_name(name);
      if (last == nullptr || name != last_name) {
        last = topic_named(name);
        last_name = name;
      }
      ref->rkt = last;
    }
    if (keys) {
      const size_t off = r->keys.size();
      key_.render(v, r->keys);
      ref->key_off = static_cast<uint32_t>(off);
      ref->key_len = static_cast<uint32_t>(r->keys.size() - off);
    }
  }
  // Keys are complete (r->keys no longer moves): point the messages at them. A message whose
  // topic was refused (too many topics, a name librdkafka rejects) is dead-lettered.
  size_t kept = 0;
  for (rd_kafka_message_t& m : msgs) {
    auto* ref = static_cast<MessageRef*>(m._private);
    const std::string_view key = key_of(*ref);
    m.key = key.empty() ? nullptr : const_cast<char*>(key.data());
    m.key_len = key.size();
    if (topic_of(*ref) == nullptr) {
      metrics_.note_error(RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION);
      tracker_.settle(ref, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, false);
      continue;
    }
    msgs[kept++] = m;
  }
  msgs.resize(kept);
  return false;
}

std::optional<EncodeSpec> KafkaSink::encoding() const {
  if (batch_mode_) return spec_;
  if (format_ == EventFormat::kJson) return EncodeSpec{EventFormat::kJson, Compression::kNone, 0};
  return std::nullopt;  // raw records view the batch's chunks: nothing to encode
}

void KafkaSink::write_records(DeliveryRecord* r) {
  thread_local std::vector<rd_kafka_message_t> msgs;
  build_records(*r, format_, msgs, encoding() ? find_payload(*r->batch, *encoding()) : nullptr);
  tracker_.add_messages(r, static_cast<uint32_t>(msgs.size()));
  if (route_per_event(r, msgs)) {
    for (auto& m : msgs) {
      m.key = r->key.empty() ? nullptr : r->key.data();
      m.key_len = r->key.size();
    }
  }
  if (!headers_.empty()) {
    write_records_with_headers(r, msgs);
    return;
  }
  // rd_kafka_produce_batch takes one topic: produce each run of messages bound for the same one.
  size_t begin = 0;
  while (begin < msgs.size()) {
    rd_kafka_topic_t* rkt = topic_of(*static_cast<MessageRef*>(msgs[begin]._private));
    size_t end = begin + 1;
    while (end < msgs.size() && topic_of(*static_cast<MessageRef*>(msgs[end]._private)) == rkt) {
      ++end;
    }
    produce_run(rkt, msgs.data() + begin, end - begin);
    begin = end;
  }
}

void KafkaSink::produce_run(rd_kafka_topic_t* rkt, rd_kafka_message_t* msgs, size_t count) {
  size_t i = 0;
  while (i < count) {
    const int n = static_cast<int>(count - i);
    rd_kafka_produce_batch(rkt, RD_KAFKA_PARTITION_UA, 0, &msgs[i], n);
    // A full queue fails the first message that does not fit and every one after it.
    size_t full = count;
    for (size_t j = i; j < count; ++j) {
      rd_kafka_message_t& m = msgs[j];
      if (m.err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        full = j;
        break;
      }
      if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        produce_failed(static_cast<MessageRef*>(m._private), m.err, RD_KAFKA_PARTITION_UA,
                       m.payload, m.len, nullptr);
      }
    }
    i = full;
    if (i < count && !wait_for_space()) {
      for (; i < count; ++i) {
        tracker_.settle(static_cast<MessageRef*>(msgs[i]._private), RD_KAFKA_RESP_ERR_NO_ERROR,
                        true);
      }
    }
    for (size_t j = i; j < count; ++j) msgs[j].err = RD_KAFKA_RESP_ERR_NO_ERROR;
  }
}

void KafkaSink::write_records_with_headers(DeliveryRecord* r,
                                           std::vector<rd_kafka_message_t>& msgs) {
  // Headers over event fields are rendered per message; otherwise once, then copied.
  rd_kafka_headers_t* proto = headers_use_fields_ ? nullptr : make_headers(*r->batch, 0, 1);
  for (auto& m : msgs) {
    auto* ref = static_cast<MessageRef*>(m._private);
    rd_kafka_headers_t* h =
        proto != nullptr ? rd_kafka_headers_copy(proto) : make_headers(*r->batch, ref->event, 1);
    for (;;) {
      const rd_kafka_resp_err_t err =
          rd_kafka_producev(producer_->get(), RD_KAFKA_V_RKT(topic_of(*ref)),
                            RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
                            RD_KAFKA_V_VALUE(m.payload, m.len), RD_KAFKA_V_KEY(m.key, m.key_len),
                            RD_KAFKA_V_OPAQUE(ref), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;  // librdkafka owns `h` now
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && wait_for_space()) continue;
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_headers_destroy(h);
        tracker_.settle(ref, RD_KAFKA_RESP_ERR_NO_ERROR, true);
      } else {
        produce_failed(ref, err, RD_KAFKA_PARTITION_UA, m.payload, m.len, h);
      }
      break;
    }
  }
  if (proto != nullptr) rd_kafka_headers_destroy(proto);
}

void KafkaSink::write_batch(DeliveryRecord* r) {
  tracker_.add_messages(r, 1);
  r->refs.assign(1, MessageRef{r, MessageRef::kWholeBatch});
  // The encode step's payload lives in the batch until it is acknowledged: no copy. Without one
  // (a batch that did not come through a lane), encode and compress here.
  const Payload* p = find_payload(*r->batch, spec_);
  std::string_view payload;
  size_t events = 0;
  if (p != nullptr) {
    payload = p->bytes;
    events = p->events;
    r->payload_bytes = payload.size();
  } else {
    auto built = build_batch_payload(*r, format_, zstd_, spec_.level);
    if (!built) {
      spdlog::error("{}: {}", name_, built.message());
      tracker_.settle(&r->refs.front(), RD_KAFKA_RESP_ERR_NO_ERROR, true);
      return;
    }
    payload = r->payload;
    events = built.value();
  }
  MessageRef* ref = &r->refs.front();
  auto* data = const_cast<char*>(payload.data());  // never written by librdkafka (no F_FREE)
  rd_kafka_headers_t* h = make_headers(*r->batch, 0, events);
  for (;;) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_->get(), RD_KAFKA_V_RKT(r->rkt), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
        RD_KAFKA_V_VALUE(data, payload.size()),
        RD_KAFKA_V_KEY(r->key.empty() ? nullptr : r->key.data(), r->key.size()),
        RD_KAFKA_V_OPAQUE(ref), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && wait_for_space()) continue;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_headers_destroy(h);
      tracker_.settle(ref, RD_KAFKA_RESP_ERR_NO_ERROR, true);
    } else {
      produce_failed(ref, err, RD_KAFKA_PARTITION_UA, data, payload.size(), h);
    }
    return;
  }
}

rd_kafka_headers_t* KafkaSink::make_headers(const Batch& batch, size_t event, size_t events) const {
  rd_kafka_headers_t* h = rd_kafka_headers_new(headers_.size() + 3);
  if (batch_mode_) {
    if (zstd_) rd_kafka_header_add(h, "content-encoding", -1, "zstd", -1);
    rd_kafka_header_add(h, "content-type", -1,
                        format_ == EventFormat::kJson ? "application/x-ndjson" : "text/plain", -1);
    const std::string n = std::to_string(events);
    rd_kafka_header_add(h, "x-logagent-events", -1, n.data(), static_cast<ssize_t>(n.size()));
  }
  std::string value;
  for (const Header& hd : headers_) {
    value.clear();
    hd.value.render(vars(batch, event), value);
    rd_kafka_header_add(h, hd.name.c_str(), -1, value.data(), static_cast<ssize_t>(value.size()));
  }
  return h;
}

void KafkaSink::produce_failed(MessageRef* ref, rd_kafka_resp_err_t err, int32_t partition,
                               void* payload, size_t len, rd_kafka_headers_t* headers) {
  metrics_.note_error(err);
  const bool permanent = classify(err) == Outcome::kPermanent;
  on_error(err, permanent, *ref);
  if (permanent) {
    if (headers != nullptr) rd_kafka_headers_destroy(headers);
    tracker_.settle(ref, err, false);
    return;
  }
  tracker_.retry_later(ref, partition, payload, len, headers);
}

bool KafkaSink::wait_for_space() {
  metrics_.note_queue_full();
  std::unique_lock lock(space_mu_);
  space_cv_.wait_for(lock, std::chrono::milliseconds(10));
  return !abort_.stop_requested() && !tracker_.aborting();
}

void KafkaSink::wait_for_retries() {
  // Retries of timed-out messages go first, so that new messages do not overtake them.
  while (tracker_.has_retries() && !abort_.stop_requested()) {
    std::unique_lock lock(space_mu_);
    space_cv_.wait_for(lock, std::chrono::milliseconds(10));
  }
}

Status KafkaSink::flush(std::chrono::steady_clock::time_point deadline) {
  while (tracker_.open_records() > 0 && !abort_.stop_requested() &&
         std::chrono::steady_clock::now() < deadline) {
    std::unique_lock lock(space_mu_);
    space_cv_.wait_for(lock, std::chrono::milliseconds(5));
  }
  const size_t left = tracker_.open_records();
  if (left == 0) return Status::ok();
  return Status::error(name_ + ": " + std::to_string(left) +
                       " batches not yet acknowledged by Kafka at the shutdown deadline");
}

std::string KafkaSink::not_ready() const {
  // Statistics arrive every second: a fresh sink reports ready within about a second of its
  // first broker connection.
  return broker_up_.load(std::memory_order_relaxed) ? std::string() : "no Kafka broker connected";
}

}  // namespace logagent::plugins::kafka
