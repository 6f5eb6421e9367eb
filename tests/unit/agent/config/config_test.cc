#include "agent/config/config.h"

#include <doctest/doctest.h>

#include <cstdlib>

#include "agent/config/fake_plugins.h"

using namespace logagent;

namespace {

struct Loaded {
  std::optional<AgentConfig> config;
  std::vector<std::string> errors;
};

Loaded load(const std::string& yaml) {
  static const Registry registry = testing::fake_registry();
  Diagnostics diag;
  Loaded out;
  out.config = load_config_text(yaml, "t.yaml", registry, diag);
  out.errors = diag.errors();
  CHECK(out.config.has_value() == out.errors.empty());
  return out;
}

bool has_error(const Loaded& l, const std::string& text) {
  for (const auto& e : l.errors) {
    if (e == text) return true;
  }
  return false;
}

std::string dump(const Loaded& l) {
  std::string out;
  for (const auto& e : l.errors) out += e + "\n";
  return out;
}

const char* const kMinimal = R"(pipelines:
  - name: app
    input: {type: tail, paths: ["/var/log/*.log"]}
    sinks: [{type: "null"}]
)";

}  // namespace

TEST_CASE("a minimal config loads with every default") {
  Loaded l = load(kMinimal);
  REQUIRE_MESSAGE(l.config, dump(l));
  const AgentConfig& c = *l.config;
  CHECK(c.data_dir == "./data");
  CHECK(c.metrics_listen == "127.0.0.1:9464");
  CHECK(c.buffer_pool == ByteSize{64ULL << 20});
  CHECK(c.chunk_size == ByteSize{256ULL << 10});
  CHECK(c.log_level == LogLevel::kInfo);
  REQUIRE(c.pipelines.size() == 1);
  const PipelineConfig& p = c.pipelines[0];
  CHECK(p.name == "app");
  CHECK(p.workers == 1);
  CHECK(p.queue_size == 16);
  CHECK(p.input.type == "tail");
  REQUIRE(p.input.factory != nullptr);
  CHECK(p.input.factory->kind == PluginKind::kInput);
  CHECK(p.input.where == "t.yaml:3:12");
  auto* tail = static_cast<const testing::FakeTail::Options*>(p.input.options.get());
  CHECK(tail->paths == std::vector<std::string>{"/var/log/*.log"});
  CHECK(tail->read_from == testing::FakeStart::kHead);
  REQUIRE(p.sinks.size() == 1);
  CHECK(p.sinks[0].type == "null");
  CHECK(p.stages.empty());
}

TEST_CASE("a full config binds every top-level key, stages and plugin options") {
  ::setenv("LOGAGENT_TEST_BROKER", "10.0.0.1:9092", 1);
  ::unsetenv("LOGAGENT_TEST_DIR");
  Loaded l = load(R"(
data_dir: ${LOGAGENT_TEST_DIR:-/var/lib/la}
metrics: {listen: ""}
memory: {buffer_pool: 16MiB, chunk_size: 64KiB}
checkpoint_interval: 500ms
shutdown_timeout: 1m
log: {level: debug}
pipelines:
  - name: app.v2-x_y
    workers: 4
    queue_size: 64
    input:
      type: tail
      paths: /a.log
      read_from: tail
      max_line_bytes: 2KiB
    stages:
      - type: json
    sinks:
      - type: kafka
        brokers: ["${LOGAGENT_TEST_BROKER}"]
        topic: logs
        linger: 20ms
        compress: off
      - type: "null"
)");
  ::unsetenv("LOGAGENT_TEST_BROKER");
  REQUIRE_MESSAGE(l.config, dump(l));
  const AgentConfig& c = *l.config;
  CHECK(c.data_dir == "/var/lib/la");
  CHECK(c.metrics_listen.empty());
  CHECK(c.buffer_pool == ByteSize{16ULL << 20});
  CHECK(c.chunk_size == ByteSize{64ULL << 10});
  CHECK(c.checkpoint_interval == Duration{std::chrono::milliseconds(500)});
  CHECK(c.shutdown_timeout == Duration{std::chrono::minutes(1)});
  CHECK(c.log_level == LogLevel::kDebug);
  const PipelineConfig& p = c.pipelines.at(0);
  CHECK(p.name == "app.v2-x_y");
  CHECK(p.workers == 4);
  CHECK(p.queue_size == 64);
  auto* tail = static_cast<const testing::FakeTail::Options*>(p.input.options.get());
  CHECK(tail->max_line_bytes == ByteSize{2048});
  CHECK(tail->paths == std::vector<std::string>{"/a.log"});
  REQUIRE(p.stages.size() == 1);
  CHECK(p.stages[0].type == "json");
  REQUIRE(p.sinks.size() == 2);
  auto* kafka = static_cast<const testing::FakeKafka::Options*>(p.sinks[0].options.get());
  CHECK(kafka->brokers == std::vector<std::string>{"10.0.0.1:9092"});
  CHECK(kafka->topic == "logs");
  CHECK(kafka->linger == Duration{std::chrono::milliseconds(20)});
  CHECK_FALSE(kafka->compress);
}

TEST_CASE("an unknown plugin option names the plugin, the key's position and a suggestion") {
  Loaded l = load(R"(pipelines:
  - name: app
    input: {type: tail, paths: [a]}
    sinks:
      - type: kafka
        topic: t
        broker: ["h:9092"]
)");
  CHECK_FALSE(l.config);
  CHECK_MESSAGE(has_error(l,
                          "t.yaml:7:9: pipelines[0].sinks[0] (kafka): unknown option 'broker'; "
                          "did you mean 'brokers'?"),
                dump(l));
  CHECK_MESSAGE(has_error(l,
                          "t.yaml:5:9: pipelines[0].sinks[0] (kafka): missing required option "
                          "'brokers'"),
                dump(l));
}

TEST_CASE("unknown keys are rejected at every level with a suggestion") {
  Loaded l = load(R"(data_dri: /x
memory: {bufer_pool: 1MiB}
log: {lvl: info}
pipelines:
  - name: app
    wrokers: 2
    input: {type: tail, paths: [a]}
    sinks: [{type: "null", speed: 1}]
)");
  CHECK_MESSAGE(has_error(l, "t.yaml:1:1: unknown option 'data_dri'; did you mean 'data_dir'?"),
                dump(l));
  CHECK(has_error(l,
                  "t.yaml:2:10: memory: unknown option 'bufer_pool'; did you mean "
                  "'buffer_pool'?"));
  CHECK(has_error(l, "t.yaml:3:7: log: unknown option 'lvl'; did you mean 'level'?"));
  CHECK(has_error(l,
                  "t.yaml:6:5: pipelines[0]: unknown option 'wrokers'; did you mean "
                  "'workers'?"));
  CHECK(has_error(l, "t.yaml:8:28: pipelines[0].sinks[0] (null): unknown option 'speed'"));
  CHECK(l.errors.size() == 5);
}

TEST_CASE("a value of the wrong type is reported at the value") {
  Loaded l = load(R"(memory:
  buffer_pool: lots
checkpoint_interval: 5
pipelines:
  - name: app
    workers: many
    input: {type: tail, paths: {a: b}}
    sinks: [{type: "null"}]
)");
  CHECK_MESSAGE(has_error(l,
                          "t.yaml:2:16: memory.buffer_pool: expected a size such as 64MiB, "
                          "512KiB or 1GiB, got 'lots'"),
                dump(l));
  CHECK(has_error(l,
                  "t.yaml:3:22: checkpoint_interval: '5' has no unit; write e.g. 5s or 5ms "
                  "(units: ms, s, m, h)"));
  CHECK(has_error(l, "t.yaml:6:14: pipelines[0].workers: expected an integer, got 'many'"));
  CHECK(has_error(l,
                  "t.yaml:7:32: pipelines[0].input.paths (tail): expected a list of strings, "
                  "got a map"));
  CHECK(l.errors.size() == 4);
}

TEST_CASE("missing required parts of a pipeline are each reported") {
  Loaded l = load(R"(pipelines:
  - workers: 2
  - name: b
    input: {paths: [a]}
    sinks: []
  - name: c
    input: {type: tail}
    sinks: [{type: kafka, topic: t, brokers: [h]}]
)");
  CHECK_MESSAGE(has_error(l, "t.yaml:2:5: pipelines[0]: missing required option 'name'"), dump(l));
  CHECK(has_error(l, "t.yaml:2:5: pipelines[0]: missing required option 'input'"));
  CHECK(has_error(l, "t.yaml:2:5: pipelines[0]: missing required option 'sinks'"));
  CHECK(has_error(l, "t.yaml:4:12: pipelines[1].input: missing required option 'type'"));
  CHECK(has_error(l, "t.yaml:5:12: pipelines[1].sinks: at least one sink is required"));
  CHECK(has_error(l, "t.yaml:7:12: pipelines[2].input (tail): missing required option 'paths'"));
  CHECK(l.errors.size() == 6);
}

TEST_CASE("a type or required option given as YAML null is named as such, at its value") {
  // `type: null` is YAML's null, not the string "null": the message says so instead of
  // claiming that the key is missing.
  Loaded l = load(R"(pipelines:
  - name: a
    input: {type: tail, paths: ~}
    sinks: [{type: null}]
)");
  CHECK_MESSAGE(has_error(l,
                          "t.yaml:3:32: pipelines[0].input.paths (tail): option 'paths' "
                          "has no value"),
                dump(l));
  CHECK(has_error(l,
                  "t.yaml:4:20: pipelines[0].sinks[0].type: option 'type' has no value "
                  "(YAML reads null, ~ and an empty value as nothing; quote a type named "
                  "null: type: \"null\")"));
  CHECK(l.errors.size() == 2);
}

TEST_CASE("duplicate and malformed pipeline names are rejected") {
  Loaded l = load(R"(pipelines:
  - name: app
    input: {type: tail, paths: [a]}
    sinks: [{type: "null"}]
  - name: app
    input: {type: tail, paths: [b]}
    sinks: [{type: "null"}]
  - name: "bad name!"
    input: {type: tail, paths: [c]}
    sinks: [{type: "null"}]
)");
  CHECK_MESSAGE(has_error(l,
                          "t.yaml:5:11: pipelines[1].name: duplicate pipeline name 'app' "
                          "(first defined at t.yaml:2:11)"),
                dump(l));
  CHECK(has_error(l,
                  "t.yaml:8:11: pipelines[2].name: pipeline name 'bad name!' may use only "
                  "letters, digits, '_', '.' and '-'"));
  CHECK(l.errors.size() == 2);
}

TEST_CASE("a YAML syntax error is reported with its line and column") {
  Loaded l = load("pipelines:\n  - name: app\n    input: {type: tail\n    sinks: []\n");
  REQUIRE(l.errors.size() == 1);
  CHECK(l.errors[0].starts_with("t.yaml:"));
  CHECK_MESSAGE(l.errors[0] == "t.yaml:4:10: end of map flow not found", dump(l));
}

TEST_CASE("a tab or a bad indentation is a syntax error, not an exception") {
  Loaded l = load("pipelines:\n  - name: a\n   bad: [\n");
  REQUIRE(l.errors.size() == 1);
  CHECK(l.errors[0].starts_with("t.yaml:3:"));
}

TEST_CASE("every error of a file is collected in one pass") {
  ::unsetenv("LOGAGENT_TEST_UNSET");
  Loaded l = load(R"(metrics: {listen: "localhost"}
memory: {buffer_pool: 1MiB, chunk_size: 1MiB}
log: {level: loud}
pipelines:
  - name: a
    workers: 65
    queue_size: 0
    input: {type: tial, paths: [x]}
    stages: [{type: kafka}]
    sinks: [{type: json}, {type: kafka, topic: "${LOGAGENT_TEST_UNSET}", brokers: [h]}]
)");
  CHECK_MESSAGE(l.errors.size() == 9, dump(l));
  CHECK(has_error(l,
                  "t.yaml:1:19: metrics.listen: expected HOST:PORT such as 127.0.0.1:9464 "
                  "(port 1 to 65535), or \"\" to disable; got 'localhost'"));
  CHECK(has_error(l,
                  "t.yaml:2:23: memory.buffer_pool: buffer_pool (1MiB) must hold at least 2 "
                  "chunks of chunk_size (1MiB)"));
  CHECK(has_error(l,
                  "t.yaml:3:14: log.level: 'loud' is not one of: trace, debug, info, warn, "
                  "error"));
  CHECK(has_error(l,
                  "t.yaml:6:14: pipelines[0].workers: workers must be between 1 and 64, got "
                  "65"));
  CHECK(has_error(l,
                  "t.yaml:7:17: pipelines[0].queue_size: queue_size must be between 1 and "
                  "4096, got 0"));
  CHECK(has_error(l,
                  "t.yaml:8:19: pipelines[0].input.type: unknown input type 'tial'; did you "
                  "mean 'tail'?"));
  CHECK(has_error(l,
                  "t.yaml:9:21: pipelines[0].stages[0].type: unknown stage type 'kafka' "
                  "('kafka' is a sink, not a stage)"));
  CHECK(has_error(l,
                  "t.yaml:10:20: pipelines[0].sinks[0].type: unknown sink type 'json' "
                  "('json' is a stage, not a sink)"));
  CHECK(
      l.errors[8].starts_with("t.yaml:10:48: pipelines[0].sinks[1].topic (kafka): environment "
                              "variable 'LOGAGENT_TEST_UNSET' is not set"));
}

TEST_CASE("an unknown plugin type far from any name lists the available ones") {
  Loaded l = load(R"(pipelines:
  - name: a
    input: {type: tail, paths: [x]}
    sinks: [{type: elasticsearch}]
)");
  REQUIRE(l.errors.size() == 1);
  CHECK(l.errors[0] ==
        "t.yaml:4:20: pipelines[0].sinks[0].type: unknown sink type "
        "'elasticsearch' (available: kafka, null)");
}

TEST_CASE("memory sizes and listen addresses are checked") {
  Loaded small = load(std::string("memory: {chunk_size: 1KiB}\n") + kMinimal);
  REQUIRE(small.errors.size() == 1);
  CHECK(small.errors[0] ==
        "t.yaml:1:22: memory.chunk_size: chunk_size must be between 4KiB and 64MiB, got 1KiB");
  for (const char* ok : {"\"\"", "127.0.0.1:9464", "localhost:1", "\"[::1]:65535\""}) {
    Loaded l = load(std::string("metrics: {listen: ") + ok + "}\n" + kMinimal);
    CHECK_MESSAGE(l.config, ok, dump(l));
  }
  for (const char* bad : {"\":9464\"", "h:0", "h:65536", "h:x", "\"::1:80\"", "h:"}) {
    Loaded l = load(std::string("metrics: {listen: ") + bad + "}\n" + kMinimal);
    CHECK_MESSAGE(l.errors.size() == 1, bad);
  }
  Loaded zero = load(std::string("checkpoint_interval: 0s\n") + kMinimal);
  CHECK(zero.errors.size() == 1);
}

TEST_CASE("a file without pipelines is an error") {
  Loaded empty = load("");
  REQUIRE(empty.errors.size() == 1);
  CHECK(empty.errors[0].find("no pipelines") != std::string::npos);
  Loaded comments = load("# nothing here\n");
  REQUIRE(comments.errors.size() == 1);
  CHECK(comments.errors[0].find("no pipelines") != std::string::npos);
  Loaded none = load("data_dir: /x\n");
  REQUIRE(none.errors.size() == 1);
  CHECK(none.errors[0] ==
        "t.yaml:1:1: no pipelines defined; add a 'pipelines' list with at "
        "least one pipeline");
  Loaded empty_list = load("pipelines: []\n");
  REQUIRE(empty_list.errors.size() == 1);
  CHECK(empty_list.errors[0] == "t.yaml:1:12: pipelines: expected a list of at least one pipeline");
}

TEST_CASE("a document that is not a map is rejected") {
  Loaded l = load("- a\n- b\n");
  REQUIRE(l.errors.size() == 1);
  CHECK(l.errors[0] == "t.yaml:1:1: expected a map of settings with a 'pipelines' list");
}

TEST_CASE("a missing configuration file is a clear error") {
  const Registry registry = testing::fake_registry();
  Diagnostics diag;
  CHECK_FALSE(load_config("/nonexistent/logagent.yaml", registry, diag));
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0] ==
        "/nonexistent/logagent.yaml: cannot open the configuration: No such file or directory");
  Diagnostics dir;
  CHECK_FALSE(load_config("/", registry, dir));
  REQUIRE(dir.errors().size() == 1);
  CHECK(dir.errors()[0].starts_with("/: cannot read the configuration: "));
}

TEST_CASE("the metrics listener stays on loopback unless allow_remote says otherwise") {
  const std::string rest = R"(
pipelines:
  - name: a
    input: {type: tail, paths: [x]}
    sinks: [{type: "null"}]
)";
  for (const char* ok : {"127.0.0.1:9464", "127.1.2.3:80", "localhost:9464", "[::1]:9464"}) {
    Loaded l = load(std::string("metrics: {listen: \"") + ok + "\"}" + rest);
    CHECK_MESSAGE(l.errors.empty(), ok, ": ", dump(l));
  }
  Loaded remote = load("metrics: {listen: \"0.0.0.0:9464\"}" + rest);
  REQUIRE(remote.errors.size() == 1);
  CHECK(remote.errors[0].rfind("t.yaml:1:19: metrics.listen: '0.0.0.0:9464' is not a loopback "
                               "address",
                               0) == 0);
  CHECK(remote.errors[0].find("set metrics.allow_remote: true") != std::string::npos);
  CHECK(load("metrics: {listen: \"[::]:9464\"}" + rest).errors.size() == 1);
  Loaded allowed = load("metrics: {listen: \"0.0.0.0:9464\", allow_remote: true}" + rest);
  CHECK_MESSAGE(allowed.errors.empty(), dump(allowed));
  REQUIRE(allowed.config);
  CHECK(allowed.config->metrics_allow_remote);
}

TEST_CASE("a pipeline's fingerprint follows the environment variables its options use") {
  const std::string yaml = R"(pipelines:
  - name: app
    input: {type: tail, paths: ["/var/log/*.log"]}
    sinks: [{type: kafka, brokers: ["${LOGAGENT_TEST_FP_BROKER}"], topic: logs}]
)";
  auto fingerprint = [&](const char* broker) {
    ::setenv("LOGAGENT_TEST_FP_BROKER", broker, 1);
    Loaded l = load(yaml);
    ::unsetenv("LOGAGENT_TEST_FP_BROKER");
    REQUIRE_MESSAGE(l.config, dump(l));
    REQUIRE(l.config->pipelines.size() == 1);
    return l.config->pipelines[0].fingerprint;
  };
  const std::string a = fingerprint("10.0.0.1:9092");
  CHECK(a == fingerprint("10.0.0.1:9092"));
  CHECK(a != fingerprint("10.0.0.2:9092"));
}

namespace {

// An input whose max_line_bytes must fit in half of the buffer pool.
struct PoolBoundInput {
  static constexpr std::string_view kName = "bounded";
  struct Options {
    ByteSize max_line_bytes{1ULL << 20};
    static const Schema<Options>& schema() {
      static const Schema<Options> s = [] {
        Schema<Options> r;
        r.field("max_line_bytes", &Options::max_line_bytes, "Longer lines are cut.");
        return r;
      }();
      return s;
    }
  };
  static Result<std::unique_ptr<Input>> create(const Options&, const PluginContext&) {
    return Status::error("fake");
  }
  static std::vector<OptionWarning> pool_warnings(const Options& o, const PoolSettings& pool) {
    if (o.max_line_bytes.bytes <= pool.buffer_pool / 2) return {};
    return {{"max_line_bytes", "lines are cut at " + std::to_string(pool.buffer_pool / 2)}};
  }
};

}  // namespace

TEST_CASE("an option an input cannot honour within the buffer pool is a warning at the option") {
  Registry registry;
  registry.add_input<PoolBoundInput>();
  registry.add_sink<testing::FakeNull>();
  const std::string pipeline = "pipelines:\n  - name: p\n    input: {type: bounded";
  const std::string sinks = "}\n    sinks: [{type: \"null\"}]\n";
  Diagnostics set;
  auto config = load_config_text("memory: {buffer_pool: 1MiB, chunk_size: 256KiB}\n" + pipeline +
                                     ", max_line_bytes: 2MiB" + sinks,
                                 "t.yaml", registry, set);
  CHECK(config.has_value());  // it works: not an error
  CHECK(set.errors().empty());
  REQUIRE(set.warnings().size() == 1);
  CHECK(set.warnings()[0] ==
        "t.yaml:4:44: pipelines[0].input.max_line_bytes (bounded): warning: lines are cut at "
        "524288");
  Diagnostics left_default;  // not written: the warning points at the input
  config = load_config_text("memory: {buffer_pool: 1MiB, chunk_size: 256KiB}\n" + pipeline + sinks,
                            "t.yaml", registry, left_default);
  CHECK(config.has_value());
  REQUIRE(left_default.warnings().size() == 1);
  CHECK(left_default.warnings()[0].find("t.yaml:4:12: pipelines[0].input (bounded): warning:") ==
        0);
  Diagnostics fits;
  config = load_config_text(pipeline + sinks, "t.yaml", registry, fits);
  CHECK(config.has_value());
  CHECK(fits.warnings().empty());
}

TEST_CASE("delivery is at_least_once unless a pipeline asks for exactly_once") {
  Loaded l = load(kMinimal);
  REQUIRE_MESSAGE(l.config, dump(l));
  CHECK(l.config->pipelines[0].delivery == Delivery::kAtLeastOnce);
  l = load(R"(pipelines:
  - name: app
    delivery: exactly_once
    input: {type: tail, paths: ["/var/log/*.log"]}
    sinks: [{type: kafka, topic: t, brokers: [h]}]
)");
  REQUIRE_MESSAGE(l.config, dump(l));
  CHECK(l.config->pipelines[0].delivery == Delivery::kExactlyOnce);
}

TEST_CASE("exactly_once with a sink that has no transactions is an error at the delivery key") {
  Loaded l = load(R"(pipelines:
  - name: app
    delivery: exactly_once
    input: {type: tail, paths: ["/var/log/*.log"]}
    sinks: [{type: "null"}]
)");
  CHECK_FALSE(l.config);
  CHECK_MESSAGE(l.errors.size() == 1, dump(l));
  CHECK(has_error(l,
                  "t.yaml:3:15: pipelines[0].delivery: delivery: exactly_once: sink 'null' (at "
                  "t.yaml:5:13) cannot deliver exactly once (it has no transactions); use "
                  "delivery: at_least_once with it, or a sink of type kafka"));
}

TEST_CASE("a bad delivery value, or exactly_once with two sinks, is an error at its position") {
  Loaded l = load(R"(pipelines:
  - name: app
    delivery: twice
    input: {type: tail, paths: ["/var/log/*.log"]}
    sinks: [{type: "null"}]
)");
  CHECK_MESSAGE(l.errors.size() == 1, dump(l));
  CHECK(has_error(l,
                  "t.yaml:3:15: pipelines[0].delivery: 'twice' is not one of: at_least_once, "
                  "exactly_once"));
  l = load(R"(pipelines:
  - name: app
    delivery: exactly_once
    input: {type: tail, paths: ["/var/log/*.log"]}
    sinks: [{type: kafka, topic: t, brokers: [h]}, {type: "null"}]
)");
  CHECK_MESSAGE(l.errors.size() == 1, dump(l));
  CHECK(has_error(l,
                  "t.yaml:3:15: pipelines[0].delivery: delivery: exactly_once needs exactly one "
                  "sink"));
}
