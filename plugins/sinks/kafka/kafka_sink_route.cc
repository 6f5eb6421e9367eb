// KafkaSink: where a message goes and what it carries -- the topic, key and header templates
// rendered for a batch or, when they use event fields, for each event (lane threads).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "agent/api/source.h"
#include "plugins/sinks/kafka/kafka_sink.h"

namespace logagent::plugins::kafka {
namespace {

// The content-type header of a batch-mode message.
const char* content_type(KafkaFormat f) {
  switch (f) {
    case KafkaFormat::kRaw:
      return "text/plain";
    case KafkaFormat::kJson:
      return "application/x-ndjson";
    case KafkaFormat::kOtlpJson:
      return "application/json";
    case KafkaFormat::kOtlpProto:
      return "application/x-protobuf";
  }
  return "application/octet-stream";
}

}  // namespace

TemplateVars KafkaSink::vars(const Batch& batch, size_t event) const {
  return TemplateVars{batch.source ? std::string_view(batch.source->path) : std::string_view(),
                      pipeline_, host_, &batch, event};
}

rd_kafka_topic_t* KafkaSink::topic_named(const std::string& name, std::string_view consequence,
                                         std::string* why, size_t limit) {
  std::string error;
  rd_kafka_topic_t* rkt = producer_->topic(name, limit, &error);
  if (rkt == nullptr) {
    if (why != nullptr) *why = error;
    // Logged once per cause ("topic 'NAME': CAUSE"), not per name: names rendered from event
    // fields are unbounded, and so would be logged_ (max_topics is there to bound memory).
    const size_t named = error.rfind("': ");
    const std::string_view cause = named == std::string::npos
                                       ? std::string_view(error)
                                       : std::string_view(error).substr(named);
    std::lock_guard lock(log_mu_);
    if (logged_.insert("topic" + std::string(cause)).second) {
      spdlog::error("{}: {}; {}", name_, error, consequence);
    }
  }
  return rkt;
}

rd_kafka_topic_t* KafkaSink::topic_for(const Batch& batch, std::string* why) {
  thread_local std::string name;
  name.clear();
  topic_.render(vars(batch, 0), name);
  if (!topic_.is_literal()) sanitize_topic_name(name);
  return topic_named(name, "its batches are rejected", why, max_topics_);
}

bool KafkaSink::route_per_event(DeliveryRecord* r, std::vector<rd_kafka_message_t>& msgs) {
  const bool topics = topic_.uses_fields();
  const bool keys = key_.uses_fields();
  if (!topics && !keys) return true;
  r->per_event_keys = keys;
  thread_local std::string name;
  thread_local std::string last_name;
  thread_local std::string last_why;
  thread_local std::string fallback;
  rd_kafka_topic_t* last = nullptr;
  last_name.clear();
  if (topics) {
    // The name an event without the fields renders (every {field.*} at its default): it does
    // not come from log content, so max_topics does not apply to it -- events that fall back to
    // it are delivered however many other names were refused.
    fallback.clear();
    const Batch& b = *r->batch;
    topic_.render(TemplateVars{b.source ? std::string_view(b.source->path) : std::string_view(),
                               pipeline_, host_, nullptr, 0},
                  fallback);
    sanitize_topic_name(fallback);
  }
  const std::string_view consequence = dead_letter_enabled_
                                           ? "its events go to the dead-letter file"
                                           : "their batches are rejected (dead_letter: false)";
  for (const rd_kafka_message_t& m : msgs) {
    auto* ref = static_cast<MessageRef*>(m._private);
    const TemplateVars v = vars(*r->batch, ref->event);  // kWholeBatch: no fields, defaults
    if (topics) {
      name.clear();
      topic_.render(v, name);
      sanitize_topic_name(name);
      if (last_name.empty() || name != last_name) {
        last_why.clear();
        last = topic_named(name, consequence, &last_why, name == fallback ? SIZE_MAX : max_topics_);
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
    // A message whose topic was refused (too many topics, a name librdkafka rejects) settles
    // as dead now, with the name it was meant for: it is dead-lettered, or its batch is
    // rejected with `dead_letter: false`. (The record's producing guard keeps it open.)
    if (topics && last == nullptr) {
      metrics_.note_error(RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION);
      tracker_.settle_refused(ref, name, "refused by logagent: " + last_why);
    }
  }
  // Keys are complete (r->keys no longer moves): point the messages at them, and leave out
  // those settled above.
  size_t kept = 0;
  for (rd_kafka_message_t& m : msgs) {
    auto* ref = static_cast<MessageRef*>(m._private);
    if (topic_of(*ref) == nullptr) continue;
    const std::string_view key = key_of(*ref);
    m.key = key.empty() ? nullptr : const_cast<char*>(key.data());
    m.key_len = key.size();
    msgs[kept++] = m;
  }
  msgs.resize(kept);
  return false;
}

rd_kafka_headers_t* KafkaSink::make_headers(const Batch& batch, size_t event, size_t events) const {
  rd_kafka_headers_t* h = rd_kafka_headers_new(headers_.size() + 3);
  if (batch_mode_) {
    if (zstd_) rd_kafka_header_add(h, "content-encoding", -1, "zstd", -1);
    rd_kafka_header_add(h, "content-type", -1, content_type(payload_format_), -1);
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

}  // namespace logagent::plugins::kafka
