// DeliveryTracker without librdkafka: a fake producer of our own threads (lanes, "brokers" that
// report in random order, a poll thread that produces retries and meets full queues, an abort
// thread) drives the tracker; the stress tests check that every batch is answered exactly once,
// that retries are produced in the order they failed per partition, and that no record
// completes while a report for one of its messages is still to come. No test here starts a
// librdkafka client, so they run under TSan too (tests/run.sh excludes "kafka sink:" there).
#include "plugins/sinks/kafka/delivery_tracker.h"

#include <doctest/doctest.h>

#include <atomic>
#include <deque>
#include <thread>
#include <vector>

#include "plugins/sinks/kafka/fake_producer.h"

using namespace logagent;
using namespace logagent::plugins::kafka;
using namespace logagent::plugins::kafka::testing;

TEST_CASE(
    "kafka delivery tracker: a record completes once every message settled and it is sealed") {
  FakeQueue queue;
  Listener listener(queue);
  Answers answers;
  DeliveryTracker tracker(listener);
  Batch batch;
  DeliveryRecord* r = tracker.open(batch, SinkAck(&answers, &batch));
  r->refs = {MessageRef{r, 0}, MessageRef{r, 1}};
  tracker.add_messages(r, 2);
  tracker.on_report({&r->refs[0], RD_KAFKA_RESP_ERR_NO_ERROR, 0, nullptr, 0, nullptr});
  tracker.on_report({&r->refs[1], RD_KAFKA_RESP_ERR_NO_ERROR, 0, nullptr, 0, nullptr});
  CHECK(listener.completed.load() == 0);  // the lane has not sealed it yet
  CHECK(tracker.open_records() == 1);
  tracker.seal(r);
  CHECK(listener.completed.load() == 1);
  CHECK(tracker.open_records() == 0);
  CHECK(answers.not_answered_once({&batch}) == 0);
  CHECK(answers.count(SinkOutcome::kDelivered) == 1);
}

TEST_CASE(
    "kafka delivery tracker: a run of delivered messages settles at once and completes the "
    "record only when it holds the last of them") {
  FakeQueue queue;
  Listener listener(queue);
  Answers answers;
  DeliveryTracker tracker(listener);
  Batch batch;
  DeliveryRecord* r = tracker.open(batch, SinkAck(&answers, &batch));
  r->refs = {MessageRef{r, 0}, MessageRef{r, 1}, MessageRef{r, 2}, MessageRef{r, 3}};
  tracker.add_messages(r, 4);
  tracker.seal(r);
  tracker.settle_delivered(r, 0);  // an empty run settles nothing
  tracker.settle_delivered(r, 2);
  tracker.on_report({&r->refs[2], RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, 0, nullptr, 0, nullptr});
  CHECK(listener.completed.load() == 0);
  CHECK(tracker.open_records() == 1);
  tracker.settle_delivered(r, 1);
  CHECK(listener.completed.load() == 1);
  CHECK(tracker.open_records() == 0);
  CHECK(answers.not_answered_once({&batch}) == 0);
}

TEST_CASE("kafka delivery tracker: a permanent failure is recorded as dead with its event") {
  FakeQueue queue;
  Listener listener(queue);
  Answers answers;
  DeliveryTracker tracker(listener);
  Batch batch;
  DeliveryRecord* r = tracker.open(batch, SinkAck(&answers, &batch));
  r->refs = {MessageRef{r, 3}, MessageRef{r, 4}};
  tracker.add_messages(r, 2);
  tracker.on_report({&r->refs[0], kPermanent, 0, nullptr, 0, nullptr});
  tracker.on_report({&r->refs[1], RD_KAFKA_RESP_ERR_NO_ERROR, 0, nullptr, 0, nullptr});
  tracker.seal(r);
  REQUIRE(listener.dead.size() == 1);
  CHECK(listener.dead[0].event == 3);
  CHECK(listener.dead[0].err == kPermanent);
  CHECK(answers.count(SinkOutcome::kRejected) == 1);  // this listener rejects dead messages
}

TEST_CASE("kafka delivery tracker: retries are taken in order and put back ahead of newer ones") {
  FakeQueue queue;
  Listener listener(queue);
  Answers answers;
  DeliveryTracker tracker(listener);
  Batch batch;
  DeliveryRecord* r = tracker.open(batch, SinkAck(&answers, &batch));
  r->refs = {MessageRef{r, 0}, MessageRef{r, 1}, MessageRef{r, 2}};
  tracker.add_messages(r, 3);
  tracker.seal(r);
  rd_kafka_headers_t* h = rd_kafka_headers_new(1);
  rd_kafka_header_add(h, "k", -1, "v", -1);
  tracker.on_report({&r->refs[0], kRetriable, 1, nullptr, 0, h});
  rd_kafka_headers_destroy(h);  // the tracker keeps its own copy
  tracker.on_report({&r->refs[1], kRetriable, 1, nullptr, 0, nullptr});
  CHECK(tracker.has_retries());
  std::deque<OutMessage> taken = tracker.take_retries();
  REQUIRE(taken.size() == 2);
  CHECK(taken[0].ref == &r->refs[0]);
  CHECK(taken[0].headers != nullptr);
  CHECK(taken[1].ref == &r->refs[1]);
  CHECK(tracker.has_retries());  // still pending until produced
  tracker.on_report({&r->refs[2], kRetriable, 1, nullptr, 0, nullptr});  // newer
  // "Produced": librdkafka would own its headers now; the test frees them.
  rd_kafka_headers_destroy(taken.front().headers);
  taken.pop_front();
  tracker.put_back(std::move(taken));
  std::deque<OutMessage> again = tracker.take_retries();
  REQUIRE(again.size() == 2);
  CHECK(again[0].ref == &r->refs[1]);
  CHECK(again[1].ref == &r->refs[2]);
  tracker.put_back(std::move(again));
  tracker.abort();  // queued retries are given up: the record fails, answered retry
  CHECK_FALSE(tracker.has_retries());
  tracker.on_report({&r->refs[0], RD_KAFKA_RESP_ERR_NO_ERROR, 1, nullptr, 0, nullptr});
  CHECK(listener.completed.load() == 1);
  CHECK(answers.count(SinkOutcome::kRetry) == 1);
}

TEST_CASE("kafka delivery tracker: while aborting, a retriable failure is given up at once") {
  FakeQueue queue;
  Listener listener(queue);
  Answers answers;
  DeliveryTracker tracker(listener);
  Batch batch;
  DeliveryRecord* r = tracker.open(batch, SinkAck(&answers, &batch));
  r->refs = {MessageRef{r, 0}};
  tracker.add_messages(r, 1);
  tracker.seal(r);
  tracker.abort();
  CHECK(tracker.aborting());
  tracker.on_report({&r->refs[0], kRetriable, 0, nullptr, 0, nullptr});
  CHECK_FALSE(tracker.has_retries());
  CHECK(answers.count(SinkOutcome::kRetry) == 1);
  tracker.resume();
  CHECK_FALSE(tracker.aborting());
}

TEST_CASE(
    "kafka delivery tracker: a retriable failure racing abort() is given up or stays pending, "
    "never queued unseen") {
  // A lane's produce error (retry_later) meets the poll thread's abort(), many times over: the
  // message must end given up or visible to has_retries() -- a retry queued while the pending
  // count says 0 is never produced, and its record never completes (a fatal-error recovery,
  // which waits for every record, would wait for good).
  int hidden = 0;
  for (int round = 0; round < 5000; ++round) {
    FakeQueue queue;
    Listener listener(queue);
    Answers answers;
    DeliveryTracker tracker(listener);
    Batch batch;
    DeliveryRecord* r = tracker.open(batch, SinkAck(&answers, &batch));
    r->refs = {MessageRef{r, 0}};
    tracker.add_messages(r, 1);
    tracker.seal(r);
    std::atomic<int> ready{0};
    std::thread lane([&] {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      tracker.retry_later(&r->refs[0], 0, nullptr, 0, nullptr);
    });
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    tracker.abort();
    lane.join();
    if (listener.completed.load() == 0 && !tracker.has_retries()) ++hidden;
  }
  CHECK(hidden == 0);
}

TEST_CASE("kafka delivery tracker: destroying it answers every open record once, with retry") {
  FakeQueue queue;
  Listener listener(queue);
  Answers answers;
  std::deque<Batch> batches(3);
  {
    DeliveryTracker tracker(listener);
    std::vector<DeliveryRecord*> records;
    for (Batch& b : batches) {
      DeliveryRecord* r = tracker.open(b, SinkAck(&answers, &b));
      r->refs = {MessageRef{r, 0}};
      tracker.add_messages(r, 1);
      tracker.seal(r);
      records.push_back(r);
    }
    rd_kafka_headers_t* h = rd_kafka_headers_new(1);
    rd_kafka_header_add(h, "k", -1, "v", -1);
    tracker.on_report({&records[0]->refs[0], kRetriable, 0, nullptr, 0, h});  // a queued retry
    rd_kafka_headers_destroy(h);
    CHECK(listener.completed.load() == 0);
  }
  CHECK(listener.completed.load() == 0);  // fail_all answers without the listener
  CHECK(answers.not_answered_once({&batches[0], &batches[1], &batches[2]}) == 0);
  CHECK(answers.count(SinkOutcome::kRetry) == 3);
}

TEST_CASE(
    "kafka delivery tracker: reports in random order, retries, refusals and aborts answer "
    "every batch once") {
  Harness h(3, 1500, 30);
  h.start_brokers(3);
  h.start_aborts();
  h.stop_lanes();
  h.stop_aborts();
  REQUIRE(h.drained());
  h.stop_producer();
  const auto batches = h.all_batches();
  CHECK(batches.size() >= 4500);
  CHECK(h.answers().not_answered_once(batches) == 0);
  CHECK(h.listener().completed.load() == static_cast<int>(batches.size()));
  CHECK(h.listener().premature.load() == 0);
  CHECK(h.order_violations() == 0);
  // How much was retried, refused or given up depends on the scheduling: counted, not checked.
  MESSAGE("retries produced: ", h.retries_taken(),
          ", delivered: ", h.answers().count(SinkOutcome::kDelivered),
          ", rejected: ", h.answers().count(SinkOutcome::kRejected),
          ", answered retry: ", h.answers().count(SinkOutcome::kRetry));
  CHECK(h.tracker().open_records() == 0);
}

TEST_CASE(
    "kafka delivery tracker: destroyed after its producer, mid-stream, it answers every "
    "batch once") {
  Harness h(3, 800);
  h.start_brokers(2);
  h.wait_completed(100);
  h.stop_producer();  // messages still queued and retries pending are never reported
  h.stop_lanes();     // the lanes went on producing meanwhile: records stay open
  const auto batches = h.all_batches();
  h.destroy_tracker();
  CHECK(h.answers().not_answered_once(batches) == 0);
  CHECK(h.listener().premature.load() == 0);
  CHECK(h.order_violations() == 0);
}

TEST_CASE(
    "kafka delivery tracker: an unknown topic is retried until unknown_topic_timeout, then "
    "permanent; other errors keep their outcome") {
  FakeQueue queue;
  Listener listener(queue);
  DeliveryTracker tracker(listener, std::chrono::seconds(2));
  MessageRef ref{nullptr, 0};
  constexpr int64_t s = 1'000'000'000;
  CHECK(tracker.judge(ref, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, 10 * s) == Outcome::kRetry);
  CHECK(ref.unknown_since_ns == 10 * s);
  // The time counts from the first such failure, whichever of the three errors it was.
  CHECK(tracker.judge(ref, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, 11 * s) == Outcome::kRetry);
  CHECK(tracker.judge(ref, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, 12 * s - 1) == Outcome::kRetry);
  CHECK(tracker.judge(ref, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, 12 * s) == Outcome::kPermanent);
  MessageRef other{nullptr, 1};
  CHECK(tracker.judge(other, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, 10 * s) == Outcome::kPermanent);
  CHECK(tracker.judge(other, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, 10 * s) == Outcome::kRetry);
  CHECK(tracker.judge(other, RD_KAFKA_RESP_ERR_NO_ERROR, 10 * s) == Outcome::kDelivered);
  CHECK(other.unknown_since_ns == 0);
  // unknown_topic_timeout 0s: dead at once.
  DeliveryTracker at_once(listener, std::chrono::seconds(0));
  MessageRef fresh{nullptr, 2};
  CHECK(at_once.judge(fresh, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, 10 * s) == Outcome::kPermanent);
}
