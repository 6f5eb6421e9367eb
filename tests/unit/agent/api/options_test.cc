#include "agent/api/options.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdlib>

using namespace logagent;

namespace {

ConfigNode parse_node(const std::string& yaml, const char* file, const char* path) {
  Diagnostics diag;
  auto node =
      ConfigNode::parse(yaml, std::make_shared<const ConfigFile>(ConfigFile{file}), diag, path);
  REQUIRE_MESSAGE(node.has_value(), (diag.errors().empty() ? "" : diag.errors()[0]));
  return *node;
}
ConfigNode parse(const std::string& yaml) { return parse_node(yaml, "t.yaml", ""); }

struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_CASE("sizes accept binary and decimal units and plain bytes") {
  CHECK(parse_byte_size("64MiB") == ByteSize{64ULL << 20});
  CHECK(parse_byte_size("256KiB") == ByteSize{256ULL << 10});
  CHECK(parse_byte_size("1GiB") == ByteSize{1ULL << 30});
  CHECK(parse_byte_size("2TiB") == ByteSize{2ULL << 40});
  CHECK(parse_byte_size("1KB") == ByteSize{1000});
  CHECK(parse_byte_size("3MB") == ByteSize{3'000'000});
  CHECK(parse_byte_size("1GB") == ByteSize{1'000'000'000});
  CHECK(parse_byte_size("512") == ByteSize{512});
  CHECK(parse_byte_size("512B") == ByteSize{512});
  CHECK(parse_byte_size(" 8 MiB ") == ByteSize{8ULL << 20});
  CHECK(parse_byte_size("0") == ByteSize{0});
}

TEST_CASE("sizes reject negatives, fractions, unknown units, garbage and overflow") {
  CHECK_FALSE(parse_byte_size("-1MiB"));
  CHECK_FALSE(parse_byte_size("1.5MiB"));
  CHECK_FALSE(parse_byte_size("12XB"));
  CHECK_FALSE(parse_byte_size("mib"));
  CHECK_FALSE(parse_byte_size("64mib"));
  CHECK_FALSE(parse_byte_size("abc"));
  CHECK_FALSE(parse_byte_size(""));
  CHECK_FALSE(parse_byte_size("99999999999999999999"));
  CHECK_FALSE(parse_byte_size("17179869184GiB"));
}

TEST_CASE("durations accept ms, s, m, h and combinations") {
  using std::chrono::milliseconds;
  CHECK(parse_duration("250ms") == Duration{milliseconds(250)});
  CHECK(parse_duration("5s") == Duration{milliseconds(5000)});
  CHECK(parse_duration("2m") == Duration{milliseconds(120'000)});
  CHECK(parse_duration("1h") == Duration{milliseconds(3'600'000)});
  CHECK(parse_duration("0s") == Duration{milliseconds(0)});
  CHECK(parse_duration("1m30s") == Duration{milliseconds(90'000)});
}

TEST_CASE("durations reject plain numbers, negatives, unknown units and overflow") {
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("0"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("5x"));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("1.5s"));
  CHECK_FALSE(parse_duration("9999999999999999999h"));
}

TEST_CASE("a duration without a unit is reported with a hint to add one") {
  ConfigNode root = parse("interval: 5\n");
  Diagnostics diag;
  Duration d;
  CHECK_FALSE(read_value(root.child("interval"), d, diag));
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0] ==
        "t.yaml:1:11: interval: '5' has no unit; write e.g. 5s or 5ms (units: ms, s, m, h)");
}

TEST_CASE("a bad size names the expected form and the value") {
  ConfigNode root = parse("size: abc\n");
  Diagnostics diag;
  ByteSize s;
  CHECK_FALSE(read_value(root.child("size"), s, diag));
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0] ==
        "t.yaml:1:7: size: expected a size such as 64MiB, 512KiB or 1GiB, got 'abc'");
}

TEST_CASE("environment variables expand with defaults and $$ escapes") {
  ScopedEnv set("LOGAGENT_TEST_SET", "value");
  ScopedEnv empty("LOGAGENT_TEST_EMPTY", "");
  ::unsetenv("LOGAGENT_TEST_UNSET");
  std::string error;
  CHECK(expand_env("a-${LOGAGENT_TEST_SET}-b", &error) == "a-value-b");
  CHECK(expand_env("${LOGAGENT_TEST_UNSET:-fallback}", &error) == "fallback");
  CHECK(expand_env("${LOGAGENT_TEST_UNSET:-}", &error) == "");
  CHECK(expand_env("${LOGAGENT_TEST_SET:-fallback}", &error) == "value");
  CHECK(expand_env("${LOGAGENT_TEST_EMPTY:-fallback}", &error) == "fallback");
  CHECK(expand_env("${LOGAGENT_TEST_EMPTY}", &error) == "");
  CHECK(expand_env("${LOGAGENT_TEST_UNSET:-${LOGAGENT_TEST_SET}}/x", &error) == "value/x");
  CHECK(expand_env("cost: $$5, $HOME stays, end$", &error) == "cost: $5, $HOME stays, end$");
  CHECK(expand_env("$${LOGAGENT_TEST_SET}", &error) == "${LOGAGENT_TEST_SET}");
}

TEST_CASE("an unset variable without a default and an unclosed brace are errors") {
  ::unsetenv("LOGAGENT_TEST_UNSET");
  std::string error;
  CHECK_FALSE(expand_env("x${LOGAGENT_TEST_UNSET}", &error));
  CHECK(error.find("environment variable 'LOGAGENT_TEST_UNSET' is not set") != std::string::npos);
  CHECK_FALSE(expand_env("x${LOGAGENT_TEST_SET", &error));
  CHECK(error == "unclosed '${' in 'x${LOGAGENT_TEST_SET'");
  CHECK_FALSE(expand_env("${1BAD}", &error));
  CHECK_FALSE(expand_env("${}", &error));
}

TEST_CASE("an unset variable is reported at the position of its value") {
  ::unsetenv("LOGAGENT_TEST_UNSET");
  ConfigNode root = parse("sink:\n  path: ${LOGAGENT_TEST_UNSET}/out\n");
  Diagnostics diag;
  CHECK_FALSE(root.child("sink").child("path").scalar(diag));
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0].starts_with(
      "t.yaml:2:9: sink.path: environment variable 'LOGAGENT_TEST_UNSET' is not set"));
}

TEST_CASE("positions are 1-based and paths name map keys and list indexes") {
  ConfigNode root =
      parse("pipelines:\n  - name: a\n    sinks:\n      - type: x\n      - type: y\n");
  ConfigNode sink = root.child("pipelines").at(0).child("sinks").at(1);
  CHECK(sink.path() == "pipelines[0].sinks[1]");
  CHECK(sink.where() == "t.yaml:5:9");
  CHECK(sink.child("type").path() == "pipelines[0].sinks[1].type");
  CHECK(sink.child("type").where() == "t.yaml:5:15");
  ConfigNode missing = sink.child("nope");
  CHECK_FALSE(missing.defined());
  CHECK(missing.where() == "t.yaml");
  CHECK_FALSE(root.child("pipelines").at(7).defined());
  CHECK_FALSE(sink.child("type").child("deeper").defined());  // child of a scalar
}

TEST_CASE("errors carry position, path and the plugin label") {
  ConfigNode root = parse("a:\n  b: 1\n");
  Diagnostics diag;
  diag.error(root.child("a").child("b"), "bad");
  diag.set_context("(kafka)");
  diag.error(root.child("a"), "worse");
  diag.set_context("");
  diag.error(root, "top");
  REQUIRE(diag.errors().size() == 3);
  CHECK(diag.errors()[0] == "t.yaml:2:6: a.b: bad");
  CHECK(diag.errors()[1] == "t.yaml:2:3: a (kafka): worse");
  CHECK(diag.errors()[2] == "t.yaml:1:1: top");
  CHECK_FALSE(diag.ok());
}

TEST_CASE("did you mean suggests a close key and nothing for a distant one") {
  const std::vector<std::string> keys = {"brokers", "topic", "compression", "linger"};
  CHECK(did_you_mean("broker", keys) == "brokers");
  CHECK(did_you_mean("Topic", keys) == "topic");
  CHECK(did_you_mean("compresion", keys) == "compression");
  CHECK(did_you_mean("xyz", keys) == "");
  CHECK(did_you_mean("ab", {"xy"}) == "");
}

TEST_CASE("unknown keys are reported at the key with a suggestion") {
  ConfigNode root = parse("sink:\n  topic: t\n  broker: [a]\n  zzzzzz: 1\n");
  Diagnostics diag;
  CHECK(check_keys(root.child("sink"), {"brokers", "topic"}, diag));
  REQUIRE(diag.errors().size() == 2);
  CHECK(diag.errors()[0] == "t.yaml:3:3: sink: unknown option 'broker'; did you mean 'brokers'?");
  CHECK(diag.errors()[1] == "t.yaml:4:3: sink: unknown option 'zzzzzz'");
}

TEST_CASE("duplicate keys and non-map nodes are errors") {
  ConfigNode root = parse("m:\n  a: 1\n  a: 2\nl: [1, 2]\n");
  Diagnostics diag;
  CHECK(check_keys(root.child("m"), {"a"}, diag));
  CHECK_FALSE(check_keys(root.child("l"), {"a"}, diag));
  CHECK(check_keys(root.child("absent"), {"a"}, diag));
  REQUIRE(diag.errors().size() == 2);
  CHECK(diag.errors()[0] == "t.yaml:3:3: m: duplicate key 'a'");
  CHECK(diag.errors()[1] == "t.yaml:4:4: l: expected a map, got a list");
}

TEST_CASE("booleans accept true/false, yes/no and on/off") {
  ConfigNode root = parse("a: yes\nb: Off\nc: TRUE\nd: maybe\n");
  Diagnostics diag;
  bool v = false;
  CHECK(read_value(root.child("a"), v, diag));
  CHECK(v);
  CHECK(read_value(root.child("b"), v, diag));
  CHECK_FALSE(v);
  CHECK(read_value(root.child("c"), v, diag));
  CHECK(v);
  CHECK_FALSE(read_value(root.child("d"), v, diag));
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0] == "t.yaml:4:4: d: expected true or false, got 'maybe'");
}

TEST_CASE("integers are range-checked for their type") {
  ConfigNode root = parse("neg: -1\nbig: 5000000000\nok: 42\ntext: 4x\nlist: [1]\n");
  Diagnostics diag;
  uint32_t u = 0;
  int i = 0;
  int64_t l = 0;
  uint64_t ul = 0;
  double d = 0;
  CHECK_FALSE(read_value(root.child("neg"), u, diag));
  CHECK_FALSE(read_value(root.child("big"), u, diag));
  CHECK_FALSE(read_value(root.child("big"), i, diag));
  CHECK(read_value(root.child("big"), l, diag));
  CHECK(l == 5'000'000'000);
  CHECK_FALSE(read_value(root.child("neg"), ul, diag));
  CHECK(read_value(root.child("ok"), u, diag));
  CHECK(u == 42);
  CHECK_FALSE(read_value(root.child("text"), i, diag));
  CHECK_FALSE(read_value(root.child("list"), i, diag));
  CHECK(read_value(root.child("ok"), d, diag));
  CHECK(d == 42.0);
  REQUIRE(diag.errors().size() == 6);
  CHECK(diag.errors()[0] == "t.yaml:1:6: neg: -1 is out of range (0 to 4294967295)");
  CHECK(diag.errors()[1] == "t.yaml:2:6: big: 5000000000 is out of range (0 to 4294967295)");
  CHECK(diag.errors()[4] == "t.yaml:4:7: text: expected an integer, got '4x'");
  CHECK(diag.errors()[5] == "t.yaml:5:7: list: expected an integer, got a list");
}

TEST_CASE("string lists accept a sequence or a single scalar") {
  ConfigNode root = parse("one: a.log\nmany: [a, b]\nbad: {x: 1}\nnested: [a, [b]]\n");
  Diagnostics diag;
  std::vector<std::string> v;
  CHECK(read_value(root.child("one"), v, diag));
  CHECK(v == std::vector<std::string>{"a.log"});
  CHECK(read_value(root.child("many"), v, diag));
  CHECK(v == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(read_value(root.child("bad"), v, diag));
  CHECK_FALSE(read_value(root.child("nested"), v, diag));
  REQUIRE(diag.errors().size() == 2);
  CHECK(diag.errors()[0] == "t.yaml:3:6: bad: expected a list of strings, got a map");
  CHECK(diag.errors()[1] == "t.yaml:4:13: nested[1]: expected a string, got a list");
}

TEST_CASE("string maps read a map of scalars") {
  ConfigNode root = parse("fields: {env: prod, dc: eu-1}\nbad: [1]\nnested: {a: [1]}\n");
  Diagnostics diag;
  std::map<std::string, std::string> m;
  CHECK(read_value(root.child("fields"), m, diag));
  CHECK(m == std::map<std::string, std::string>{{"dc", "eu-1"}, {"env", "prod"}});
  CHECK_FALSE(read_value(root.child("bad"), m, diag));
  CHECK_FALSE(read_value(root.child("nested"), m, diag));
  REQUIRE(diag.errors().size() == 2);
  CHECK(diag.errors()[1] == "t.yaml:3:13: nested.a: expected a string, got a list");
}

TEST_CASE("default values format in the units a user would write") {
  using std::chrono::milliseconds;
  CHECK(format_value(ByteSize{64ULL << 20}) == "64MiB");
  CHECK(format_value(ByteSize{1ULL << 30}) == "1GiB");
  CHECK(format_value(ByteSize{1536}) == "1536B");
  CHECK(format_value(ByteSize{0}) == "0B");
  CHECK(format_value(Duration{milliseconds(1000)}) == "1s");
  CHECK(format_value(Duration{milliseconds(250)}) == "250ms");
  CHECK(format_value(Duration{milliseconds(300'000)}) == "5m");
  CHECK(format_value(Duration{milliseconds(90'000)}) == "90s");
  CHECK(format_value(Duration{milliseconds(0)}) == "0s");
  CHECK(format_value(true) == "true");
  CHECK(format_value(uint32_t{7}) == "7");
  CHECK(format_value(std::vector<std::string>{"a", "b"}) == "[\"a\", \"b\"]");
  CHECK(format_value(std::vector<std::string>{}) == "[]");
  CHECK(format_value(std::map<std::string, std::string>{{"k", "v"}}) == "{k: \"v\"}");
}

TEST_CASE("formatted sizes and durations parse back to the same value") {
  for (uint64_t b : {0ULL, 1ULL, 1536ULL, 4096ULL, 64ULL << 20, 3ULL << 40}) {
    CHECK(parse_byte_size(format_value(ByteSize{b})) == ByteSize{b});
  }
  for (int64_t ms : {0LL, 1LL, 250LL, 1000LL, 90'000LL, 7'200'000LL}) {
    const Duration d{std::chrono::milliseconds(ms)};
    CHECK(parse_duration(format_value(d)) == d);
  }
}

namespace {

enum class Mode { kFast, kSafe };
constexpr std::array<std::string_view, 2> option_names(Mode) { return {"fast", "safe"}; }

struct FakeOptions {
  Mode mode = Mode::kFast;
  uint32_t retries = 3;
  std::vector<std::string> hosts;

  static const Schema<FakeOptions>& schema() {
    static const Schema<FakeOptions> s = [] {
      Schema<FakeOptions> r;
      r.field("hosts", &FakeOptions::hosts, "Hosts.").required();
      r.field("mode", &FakeOptions::mode, "Mode.");
      r.field("retries", &FakeOptions::retries, "Retries.");
      r.rule([](const FakeOptions& o) -> std::optional<std::string> {
        if (o.retries > 10) return "'retries' must be at most 10";
        return std::nullopt;
      });
      return r;
    }();
    return s;
  }
};

}  // namespace

TEST_CASE("a schema keeps defaults, binds given keys and documents every field") {
  ConfigNode root = parse("p:\n  hosts: h1\n  retries: 5\n");
  Diagnostics diag;
  FakeOptions o;
  CHECK(FakeOptions::schema().bind(root.child("p"), o, diag));
  CHECK(diag.ok());
  CHECK(o.hosts == std::vector<std::string>{"h1"});
  CHECK(o.mode == Mode::kFast);
  CHECK(o.retries == 5);
  auto docs = FakeOptions::schema().docs();
  REQUIRE(docs.size() == 3);
  CHECK(docs[0].required);
  CHECK(docs[1].type == "string");
  CHECK(docs[1].default_value == "fast");
  CHECK(docs[1].choices == std::vector<std::string>{"fast", "safe"});
  CHECK(docs[2].type == "integer");
  CHECK(docs[2].default_value == "3");
}

TEST_CASE("a schema reports missing keys, bad choices and failed rules") {
  ConfigNode root = parse("a:\n  mode: quick\nb:\n  hosts: [x]\n  retries: 11\n");
  Diagnostics diag;
  FakeOptions o;
  CHECK_FALSE(FakeOptions::schema().bind(root.child("a"), o, diag));
  FakeOptions o2;
  CHECK_FALSE(FakeOptions::schema().bind(root.child("b"), o2, diag));
  REQUIRE(diag.errors().size() == 3);
  CHECK(diag.errors()[0] == "t.yaml:2:3: a: missing required option 'hosts'");
  CHECK(diag.errors()[1] == "t.yaml:2:9: a.mode: 'quick' is not one of: fast, safe");
  CHECK(diag.errors()[2] == "t.yaml:4:3: b: 'retries' must be at most 10");
}

TEST_CASE("an enum option binds by name and names its value back") {
  ConfigNode root = parse("a: {hosts: [x], mode: safe}\nb: {hosts: [x], mode: [fast]}\n");
  Diagnostics diag;
  FakeOptions o;
  CHECK(FakeOptions::schema().bind(root.child("a"), o, diag));
  CHECK(o.mode == Mode::kSafe);
  CHECK(option_name(o.mode) == "safe");
  CHECK(option_name(static_cast<Mode>(7)).empty());
  CHECK(format_value(Mode::kSafe) == "safe");
  FakeOptions o2;
  CHECK_FALSE(FakeOptions::schema().bind(root.child("b"), o2, diag));
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0] == "t.yaml:2:23: b.mode: expected one of fast, safe, got a list");
  CHECK(o2.mode == Mode::kFast);  // unchanged by the error
}

namespace {

struct MaybeOptions {
  std::optional<std::string> equals;
  std::optional<bool> exists;
  std::optional<Mode> mode;
  std::optional<uint32_t> limit = 5;

  static const Schema<MaybeOptions>& schema() {
    static const Schema<MaybeOptions> s = Schema<MaybeOptions>()
                                              .field("equals", &MaybeOptions::equals, "E.")
                                              .field("exists", &MaybeOptions::exists, "X.")
                                              .field("mode", &MaybeOptions::mode, "M.")
                                              .field("limit", &MaybeOptions::limit, "L.");
    return s;
  }
};

}  // namespace

TEST_CASE("an optional option is unset unless written, so \"\" and false are values") {
  ConfigNode root = parse(
      "a: {}\n"
      "b: {equals: '', exists: false, mode: safe, limit: 0}\n"
      "c: {exists: maybe, mode: slow, limit: -1}\n");
  Diagnostics diag;
  MaybeOptions a;
  CHECK(MaybeOptions::schema().bind(root.child("a"), a, diag));
  CHECK_FALSE(a.equals.has_value());
  CHECK_FALSE(a.exists.has_value());
  CHECK_FALSE(a.mode.has_value());
  CHECK(a.limit == 5u);
  MaybeOptions b;
  CHECK(MaybeOptions::schema().bind(root.child("b"), b, diag));
  CHECK(b.equals == "");
  CHECK(b.exists == false);
  CHECK(b.mode == Mode::kSafe);
  CHECK(b.limit == 0u);
  MaybeOptions c;
  CHECK_FALSE(MaybeOptions::schema().bind(root.child("c"), c, diag));
  REQUIRE(diag.errors().size() == 3);
  CHECK(diag.errors()[0] == "t.yaml:3:13: c.exists: expected true or false, got 'maybe'");
  CHECK(diag.errors()[1] == "t.yaml:3:26: c.mode: 'slow' is not one of: fast, safe");
  CHECK(diag.errors()[2].starts_with("t.yaml:3:39: c.limit: "));
  CHECK_FALSE(c.exists.has_value());

  const auto docs = MaybeOptions::schema().docs();
  REQUIRE(docs.size() == 4);
  CHECK(docs[0].type == "string");
  CHECK(docs[0].optional);
  CHECK(docs[0].default_value.empty());
  CHECK(docs[1].type == "bool");
  CHECK(docs[2].type == "string");
  CHECK(docs[2].choices == std::vector<std::string>{"fast", "safe"});
  CHECK(docs[3].type == "integer");
  CHECK(docs[3].default_value == "5");
}

TEST_CASE("assigning a config node rebinds it and never changes the document") {
  ConfigNode root = parse("a: {x: 1}\nb: 2\n");
  ConfigNode cursor = root;
  cursor = root.child("a");
  CHECK(cursor.path() == "a");
  CHECK(root.is_map());
  CHECK(root.child("b").defined());
  CHECK(root.child("a").child("x").raw_scalar() == "1");
}

TEST_CASE("a config node answers what it is without yaml-cpp: kinds, entries, null, dump") {
  ScopedEnv env("LOGAGENT_TEST_NODE", "expanded");
  ConfigNode root = parse("m: {k1: v, k2: , 3: x}\nl: [a, b]\ns: ${LOGAGENT_TEST_NODE}\nn: ~\n");
  CHECK(root.is_map());
  CHECK(root.size() == 4);
  CHECK(root.child("m").kind() == "a map");
  CHECK(root.child("l").kind() == "a list");
  CHECK(root.child("l").is_sequence());
  CHECK(root.child("l").size() == 2);
  CHECK(root.child("l").at(1).raw_scalar() == "b");
  CHECK(root.child("s").is_scalar());
  CHECK(root.child("s").raw_scalar() == "${LOGAGENT_TEST_NODE}");  // as written
  Diagnostics diag;
  CHECK(root.child("s").scalar(diag) == std::optional<std::string>("expanded"));
  // `n: ~` is present but has no value; an absent key is neither.
  CHECK(root.child("n").present());
  CHECK_FALSE(root.child("n").defined());
  CHECK_FALSE(root.child("absent").present());
  CHECK(root.child("absent").kind() == "an empty value");
  CHECK(root.child("absent").size() == 0);
  CHECK(root.child("s").entries().empty());
  const auto entries = root.child("m").entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].name == "k1");
  CHECK(entries[0].value.path() == "m.k1");
  CHECK(entries[0].value.raw_scalar() == "v");
  CHECK(entries[0].key.where() == "t.yaml:1:5");
  CHECK(entries[1].value.present());
  CHECK_FALSE(entries[1].value.defined());
  CHECK(entries[2].name == "3");
  CHECK(root.child("l").dump() == "[a, b]");
  CHECK(root.child("absent").dump().empty());
  CHECK(diag.ok());
}

TEST_CASE("an expanded dump shows every scalar value with its variables expanded") {
  ScopedEnv env("LOGAGENT_TEST_DUMP", "x1");
  ConfigNode root = parse(
      "m: {k: \"${LOGAGENT_TEST_DUMP}\", u: \"${LOGAGENT_TEST_DUMP_UNSET}\"}\n"
      "l: [\"a-${LOGAGENT_TEST_DUMP}\", \"$$b\"]\n");
  CHECK(root.child("m").expanded_dump() == "{k: x1, u: \"${LOGAGENT_TEST_DUMP_UNSET}\"}");
  CHECK(root.child("l").expanded_dump() == "[a-x1, $b]");
  CHECK(root.child("m").child("k").raw_scalar() == "${LOGAGENT_TEST_DUMP}");  // unchanged
  CHECK(root.child("absent").expanded_dump().empty());
}

TEST_CASE("text that is not YAML is one error with its line and column") {
  Diagnostics diag;
  auto node = ConfigNode::parse("a: [1, 2\nb: 3\n",
                                std::make_shared<const ConfigFile>(ConfigFile{"bad.yaml"}), diag);
  CHECK_FALSE(node.has_value());
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0].rfind("bad.yaml:", 0) == 0);
}
