// delivery: exactly_once against librdkafka's mock cluster. The mock keeps no last stable
// offset and writes no transaction markers: a read_committed consumer of it sees records of
// open and aborted transactions too, so what a read_committed consumer does NOT see is left to
// the end-to-end test against a real broker (tests/e2e/test_kafka_exactly_once.py).
#include <doctest/doctest.h>

#include "agent/core/host_name.h"
#include "kafka_test_support.h"

using namespace logagent;
using namespace logagent::plugins::kafka;
using namespace logagent::plugins::kafka::testing;
using namespace std::chrono_literals;

namespace {

// The pipeline's side: hands out `text`, records what the sink reports.
class FakeCheckpoints final : public CheckpointSource {
 public:
  std::string checkpoint_text() override {
    std::lock_guard lock(mu_);
    return text_;
  }
  void committed(const std::string& text) override {
    std::lock_guard lock(mu_);
    commits_.push_back(text);
    cv_.notify_all();
  }
  void failed(const std::string& why) override {
    std::lock_guard lock(mu_);
    failures_.push_back(why);
    cv_.notify_all();
  }
  void set_text(std::string text) {
    std::lock_guard lock(mu_);
    text_ = std::move(text);
  }
  std::vector<std::string> commits() {
    std::lock_guard lock(mu_);
    return commits_;
  }
  // The first failure reported, waiting up to 20 s for one ("" when none came).
  std::string wait_failure() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 20s, [&] { return !failures_.empty(); });
    return failures_.empty() ? std::string() : failures_.front();
  }
  bool wait_commits(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return commits_.size() >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  std::vector<std::string> commits_;
  std::vector<std::string> failures_;
};

KafkaOptions eos_options(const MockCluster& mc, const std::string& topic) {
  KafkaOptions o = options(mc.bootstraps(), topic);
  o.format = KafkaFormat::kRaw;
  o.transaction_interval = Duration{std::chrono::seconds(60)};  // commits at flush() only
  return o;
}

std::string begin(Sink& sink, CheckpointSource& source) {
  TransactionalSink* t = sink.transactional();
  REQUIRE(t != nullptr);
  auto text = t->begin_exactly_once(source);
  REQUIRE_MESSAGE(text.is_ok(), (text.is_ok() ? "" : text.message()));
  return text.value();
}

std::string checkpoint_key() { return host_name() + "/p/kafka"; }

constexpr int16_t kEndTxnApiKey = 26;

}  // namespace

TEST_CASE("kafka sink: exactly once: a commit carries the batch's records and the checkpoint") {
  MockCluster mc;
  mc.create_topic("t-eos");
  mc.create_topic("logagent-offsets");
  SinkEnv env;
  auto sink = make_sink(eos_options(mc, "t-eos"), env);
  FakeCheckpoints source;
  CHECK(begin(*sink, source).empty());
  // Every record goes through the transactional producer (none outside a transaction).
  auto* kafka_sink = dynamic_cast<KafkaSink*>(sink.get());
  REQUIRE(kafka_sink != nullptr);
  char id[256] = {0};
  size_t id_size = sizeof(id);
  REQUIRE(rd_kafka_conf_get(rd_kafka_conf(kafka_sink->producer_for_testing()), "transactional.id",
                            id, &id_size) == RD_KAFKA_CONF_OK);
  CHECK(std::string(id) == "logagent-" + host_name() + "-p-kafka");
  Completions done;
  TestBatch a("/logs/a.log", {"one", "two", "three"});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.ok_count() == 1);
  source.set_text("checkpoint-1");
  REQUIRE(sink->flush(std::chrono::steady_clock::now() + 20s).is_ok());
  CHECK(source.commits() == std::vector<std::string>{"checkpoint-1"});
  CHECK(consume(mc.bootstraps(), "t-eos", 3) == a.lines);
  const auto cp = consume_messages(mc.bootstraps(), "logagent-offsets", 1);
  REQUIRE(cp.size() == 1);
  CHECK(cp[0].key == checkpoint_key());
  CHECK(cp[0].payload == "checkpoint-1");
  CHECK(env.metric("logagent_kafka_transactions_total", {{"result", "committed"}}) == 1);
  // Nothing written since: a flush commits nothing more.
  REQUIRE(sink->flush(std::chrono::steady_clock::now() + 20s).is_ok());
  CHECK(source.commits().size() == 1);
}

TEST_CASE("kafka sink: exactly once: a new instance starts from the checkpoint committed last") {
  MockCluster mc;
  mc.create_topic("t-resume");
  mc.create_topic("logagent-offsets", 3);
  SinkEnv env;
  {
    auto sink = make_sink(eos_options(mc, "t-resume"), env);
    FakeCheckpoints source;
    begin(*sink, source);
    Completions done;
    TestBatch a("/logs/a.log", {"a1"});
    TestBatch b("/logs/a.log", {"b1"});
    sink->write(a.batch, SinkAck(&done, &a.batch));
    REQUIRE(done.wait(1));
    source.set_text("after-a");
    REQUIRE(sink->flush(std::chrono::steady_clock::now() + 20s).is_ok());
    sink->write(b.batch, SinkAck(&done, &b.batch));
    REQUIRE(done.wait(2));
    source.set_text("after-b");
    REQUIRE(sink->flush(std::chrono::steady_clock::now() + 20s).is_ok());
    CHECK(source.commits() == std::vector<std::string>{"after-a", "after-b"});
  }
  auto again = make_sink(eos_options(mc, "t-resume"), env);
  FakeCheckpoints source;
  CHECK(begin(*again, source) == "after-b");
}

TEST_CASE("kafka sink: exactly once: the transaction_interval commits without a flush") {
  MockCluster mc;
  mc.create_topic("t-interval");
  mc.create_topic("logagent-offsets");
  SinkEnv env;
  KafkaOptions o = eos_options(mc, "t-interval");
  o.transaction_interval = Duration{std::chrono::milliseconds(100)};
  auto sink = make_sink(o, env);
  FakeCheckpoints source;
  begin(*sink, source);
  source.set_text("by-interval");
  Completions done;
  TestBatch a("/logs/a.log", {"x"});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(source.wait_commits(1));
  CHECK(source.commits().front() == "by-interval");
}

TEST_CASE("kafka sink: exactly once: transaction_batches commits when that many batches are in") {
  MockCluster mc;
  mc.create_topic("t-batches");
  mc.create_topic("logagent-offsets");
  SinkEnv env;
  KafkaOptions o = eos_options(mc, "t-batches");  // the interval (60 s) never comes
  o.transaction_batches = 2;
  auto sink = make_sink(o, env);
  FakeCheckpoints source;
  begin(*sink, source);
  Completions done;
  std::vector<std::unique_ptr<TestBatch>> batches;
  for (int i = 0; i < 4; ++i) {
    source.set_text("after-" + std::to_string(i));
    batches.push_back(std::make_unique<TestBatch>("/logs/a.log", std::vector<std::string>{"x"}));
    sink->write(batches.back()->batch, SinkAck(&done, &batches.back()->batch));
    // The third write waited in the gate until the first two were committed.
    if (i == 2) CHECK(source.commits().size() == 1);
  }
  REQUIRE(source.wait_commits(2));
  const auto commits = source.commits();
  CHECK(commits.size() == 2);
  CHECK(commits[1] == "after-3");  // the fourth batch filled the second transaction
}

TEST_CASE("kafka sink: exactly once: a fenced sink tells its source and writes no more") {
  // The mock does not fence a producer whose transactional.id another one initialised (it checks
  // no epoch): the broker's answer to a fenced producer is injected instead. A real second
  // instance fencing the first is tested end to end (test_kafka_exactly_once.py).
  MockCluster mc;
  mc.create_topic("t-fence");
  mc.create_topic("logagent-offsets");
  SinkEnv env;
  auto zombie = make_sink(eos_options(mc, "t-fence"), env);
  FakeCheckpoints source;
  begin(*zombie, source);
  Completions done;
  TestBatch z("/logs/a.log", {"from-zombie"});
  zombie->write(z.batch, SinkAck(&done, &z.batch));
  REQUIRE(done.wait(1));
  rd_kafka_mock_push_request_errors(mc.get(), kEndTxnApiKey, 1, RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
  CHECK_FALSE(zombie->flush(std::chrono::steady_clock::now() + 20s).is_ok());
  const std::string why = source.wait_failure();
  CHECK_MESSAGE(why.find("fenced: another agent with the same transactional.id") == 0, why);
  CHECK(source.commits().empty());
  CHECK(env.metric("logagent_kafka_transactions_total", {{"result", "aborted"}}) == 1);
  CHECK(zombie->not_ready() == why);  // /ready says why
  // From then on the sink answers retry and produces nothing.
  TestBatch z2("/logs/a.log", {"from-zombie-again"});
  zombie->write(z2.batch, SinkAck(&done, &z2.batch));
  REQUIRE(done.wait(2));
  CHECK(done.count(SinkOutcome::kRetry) == 1);
  const auto got = consume(mc.bootstraps(), "t-fence", 2, 0, 2s);
  CHECK(std::find(got.begin(), got.end(), "from-zombie-again") == got.end());
}

TEST_CASE("kafka sink: exactly once: a failed commit is aborted and the source told") {
  MockCluster mc;
  mc.create_topic("t-abort");
  mc.create_topic("logagent-offsets");
  SinkEnv env;
  auto sink = make_sink(eos_options(mc, "t-abort"), env);
  FakeCheckpoints source;
  begin(*sink, source);
  Completions done;
  TestBatch a("/logs/a.log", {"a"});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  // An error librdkafka answers with "abort the transaction" (not fatal).
  rd_kafka_mock_push_request_errors(mc.get(), kEndTxnApiKey, 1,
                                    RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID);
  CHECK_FALSE(sink->flush(std::chrono::steady_clock::now() + 20s).is_ok());
  const std::string why = source.wait_failure();
  CHECK_MESSAGE(why.find("commit failed") == 0, why);
  CHECK(source.commits().empty());
  CHECK(env.metric("logagent_kafka_transactions_total", {{"result", "aborted"}}) == 1);
  TestBatch b("/logs/a.log", {"b"});
  sink->write(b.batch, SinkAck(&done, &b.batch));
  REQUIRE(done.wait(2));
  CHECK(done.count(SinkOutcome::kRetry) == 1);
}

TEST_CASE(
    "kafka sink: exactly once: a line the broker refuses aborts the transaction, and the next "
    "sink dead-letters it without producing it") {
  MockCluster mc;
  mc.create_topic("t-refused");
  mc.create_topic("logagent-offsets");
  SinkEnv env;
  const KafkaOptions o = eos_options(mc, "t-refused");
  const auto dlq = env.data_dir / "p.kafka.deadletter.ndjson";
  const auto refused = env.data_dir / "p.kafka.refused";
  {
    auto sink = make_sink(o, env);
    FakeCheckpoints source;
    begin(*sink, source);
    rd_kafka_mock_push_request_errors(mc.get(), kProduceApiKey, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    Completions done;
    TestBatch a("/logs/a.log", {"too big"});
    sink->write(a.batch, SinkAck(&done, &a.batch));
    const std::string why = source.wait_failure();
    CHECK_MESSAGE(why.find("Kafka refused a message for good inside the transaction") == 0, why);
    REQUIRE(done.wait(1));
    CHECK(done.count(SinkOutcome::kRetry) == 1);  // not dead-lettered in a doomed transaction
    CHECK_FALSE(std::filesystem::exists(dlq));
    CHECK(std::filesystem::file_size(refused) > 0);
  }
  // The restarted pipeline's sink reads the same line again.
  auto sink = make_sink(o, env);
  FakeCheckpoints source;
  begin(*sink, source);
  source.set_text("past-it");
  Completions done;
  TestBatch a("/logs/a.log", {"too big", "fine"});
  sink->write(a.batch, SinkAck(&done, &a.batch));
  REQUIRE(done.wait(1));
  CHECK(done.count(SinkOutcome::kDelivered) == 1);
  REQUIRE(sink->flush(std::chrono::steady_clock::now() + 20s).is_ok());
  CHECK(source.commits() == std::vector<std::string>{"past-it"});
  std::ifstream in(dlq);
  std::string dead((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(std::count(dead.begin(), dead.end(), '\n') == 1);
  CHECK(dead.find("\"reason\":\"MSG_SIZE_TOO_LARGE\"") != std::string::npos);
  CHECK(dead.find("\"message\":\"too big\"") != std::string::npos);
  CHECK(std::filesystem::file_size(refused) == 0);  // forgotten once committed
  CHECK(consume(mc.bootstraps(), "t-refused", 1, 0, 5s) == std::vector<std::string>{"fine"});
}
