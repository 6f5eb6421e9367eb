// Micro-benchmarks of the parser stages (Google Benchmark): json, logfmt and regex over a
// realistic batch of 1,300 lines of about 200 bytes, as the tail input hands them over. Each
// iteration parses one fresh Batch (as in the agent: batches are not reused), so the figures
// include the per-batch field vector and arena allocations. bytes_per_second counts line bytes. The
// regex cases run each built-in format both ways: its format scanner (what the stage uses) and RE2
// with the format's pattern (what it used before).
//
//   build/perf/bench_parsers [--benchmark_filter=json]
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/fields.h"
#include "agent/codec/event_encoder.h"
#include "plugins/common/json_object.h"
#include "plugins/parsers/logfmt/logfmt_parser.h"
#include "plugins/parsers/regex/format_scanners.h"
#include "plugins/parsers/regex/regex_parser.h"

namespace {

using namespace logagent;

constexpr int kLines = 1300;

const char* const kPaths[] = {"/api/v1/users/12345", "/api/v1/orders?page=2&sort=desc", "/healthz",
                              "/static/app.3f9a1c.js"};
const char* const kLevels[] = {"info", "info", "info", "warn", "error", "debug"};

std::string json_line(int i, bool nested) {
  std::string l = "{\"time\":\"2024-05-01T12:34:" + std::to_string(10 + i % 50) + "." +
                  std::to_string(100 + i % 900) + "Z\",\"level\":\"" + kLevels[i % 6] +
                  "\",\"msg\":\"" + (i % 10 == 0 ? "said \\\"hello\\\"" : "request completed") +
                  "\",\"method\":\"GET\",\"path\":\"" + kPaths[i % 4] +
                  "\",\"status\":" + std::to_string(200 + (i % 7 == 0 ? 304 : 0)) +
                  ",\"latency_ms\":" + std::to_string(i % 97) + "." + std::to_string(i % 10) +
                  ",\"bytes\":" + std::to_string(1000 + i * 37 % 9000) +
                  ",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e" + std::to_string(1000 + i % 9000) +
                  "\",\"cached\":" + (i % 3 == 0 ? "true" : "false");
  if (nested) l += ",\"user\":{\"id\":" + std::to_string(i) + ",\"roles\":[\"admin\",\"dev\"]}";
  return l + "}";
}

std::string logfmt_line(int i) {
  return std::string("time=2024-05-01T12:34:") + std::to_string(10 + i % 50) + "." +
         std::to_string(100 + i % 900) + "Z level=" + kLevels[i % 6] +
         " msg=" + (i % 10 == 0 ? "\"said \\\"hello\\\"\"" : "\"request completed\"") +
         " method=GET path=" + kPaths[i % 4] +
         " status=" + std::to_string(200 + (i % 7 == 0 ? 304 : 0)) +
         " latency=" + std::to_string(i % 97) + "." + std::to_string(i % 10) +
         "ms bytes=" + std::to_string(1000 + i * 37 % 9000) +
         " trace_id=4bf92f3577b34da6a3ce929d0e0e" + std::to_string(1000 + i % 9000) +
         " host=web-7f9c8d-x2x9q dyno=web.1 cached";
}

// As perf/bench.py's nginx input (combined format). Lines are built by appends: g++ 12 at -O3
// reports a false -Wrestrict on "literal" + std::string&&.
std::string nginx_line(int i) {
  const char* const agents[] = {
      ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
       "Safari/537.36"),
      "curl/8.4.0", "Go-http-client/1.1"};
  std::string l = "10.";
  l += std::to_string(i % 256);
  l += '.';
  l += std::to_string(i * 7 % 256);
  l += '.';
  l += std::to_string(i * 13 % 256);
  l += " - - [01/May/2024:12:";
  l += std::to_string(10 + i % 50);
  l += ":56 +0000] \"GET ";
  l += kPaths[i % 4];
  l += " HTTP/1.1\" ";
  l += std::to_string(200 + (i % 7 == 0 ? 104 : 0));
  l += ' ';
  l += std::to_string(1000 + i * 37 % 9000);
  l += " \"https://example.com/";
  l += std::to_string(i % 97);
  l += "\" \"";
  l += agents[i % 3];
  l += '"';
  return l;
}

std::string rfc3164_line(int i) {
  std::string l = "<";
  l += std::to_string(i % 192);
  l += ">May  1 12:34:";
  l += std::to_string(10 + i % 50);
  l += " web-";
  l += std::to_string(i % 9);
  l += " sshd[";
  l += std::to_string(1000 + i);
  l += "]: Accepted publickey for deploy from 10.0.0.";
  l += std::to_string(i % 256);
  l += " port 52514 ssh2: RSA SHA256:4bf92f3577b34da6a3ce929d0e0e";
  l += std::to_string(i);
  return l;
}

std::string rfc5424_line(int i) {
  std::string l = "<165>1 2024-05-01T12:34:";
  l += std::to_string(10 + i % 50);
  l += ".003Z web-";
  l += std::to_string(i % 9);
  l += ".example.com evntslog ";
  l += std::to_string(1000 + i);
  l += " ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\" eventID=\"";
  l += std::to_string(i);
  l += "\"] ";
  l += kLevels[i % 6];
  l += ": request completed in ";
  l += std::to_string(i % 97);
  l += " ms";
  return l;
}

// The lines laid out back to back, as in a chunk, and events viewing them.
struct Corpus {
  std::string bytes;
  std::vector<Event> events;

  template <class Make>
  explicit Corpus(Make make) {
    std::vector<size_t> starts;
    for (int i = 0; i < kLines; ++i) {
      starts.push_back(bytes.size());
      bytes += make(i);
      bytes.push_back('\n');
    }
    starts.push_back(bytes.size());
    for (size_t i = 0; i + 1 < starts.size(); ++i) {
      events.push_back({std::string_view(bytes).substr(starts[i], starts[i + 1] - starts[i] - 1),
                        starts[i], 0, 0});
    }
  }
};

void run(benchmark::State& state, const Corpus& corpus, FieldParser& parser, bool encode) {
  ParseSettings settings;
  double hint = 8;
  std::string out;
  size_t fields = 0;
  for (auto _ : state) {
    Batch batch;
    batch.events = corpus.events;
    const ParseCounts c = parse_batch(batch, settings, parser, hint);
    if (c.error != 0) state.SkipWithError("unexpected parse errors");
    fields = batch.fields.size();
    if (encode) {
      out.clear();
      encode_batch(out, batch, EventFormat::kJson);
    }
    benchmark::DoNotOptimize(batch.fields.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(corpus.bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kLines);
  state.counters["line_bytes"] = static_cast<double>(corpus.bytes.size()) / kLines;
  state.counters["fields_per_line"] = static_cast<double>(fields) / kLines;
}

void BM_JsonFlat(benchmark::State& state) {
  static const Corpus corpus([](int i) { return json_line(i, false); });
  auto parser = plugins::json::make_json_parser();
  run(state, corpus, *parser, false);
}

void BM_JsonNested(benchmark::State& state) {
  static const Corpus corpus([](int i) { return json_line(i, true); });
  auto parser = plugins::json::make_json_parser();
  run(state, corpus, *parser, false);
}

void BM_Logfmt(benchmark::State& state) {
  static const Corpus corpus(logfmt_line);
  plugins::logfmt::LogfmtParser parser;
  run(state, corpus, parser, false);
}

// Parse, then the file/stdout sinks' json encoding of the parsed events.
void BM_JsonFlatThenEncode(benchmark::State& state) {
  static const Corpus corpus([](int i) { return json_line(i, false); });
  auto parser = plugins::json::make_json_parser();
  run(state, corpus, *parser, true);
}

// A built-in format of the "regex" stage, matched by its scanner or by RE2 with its pattern.
void run_regex(benchmark::State& state, std::string (*make)(int), const char* format,
               bool scanner) {
  const Corpus corpus(make);
  plugins::regex::RegexOptions o;
  o.format = format;
  auto re = plugins::regex::compile_pattern(o);
  if (!re) {
    state.SkipWithError("pattern");
    return;
  }
  const plugins::regex::FormatScanner* s = plugins::regex::find_format_scanner(format);
  plugins::regex::RegexParser parser = scanner ? plugins::regex::RegexParser(*s)
                                               : plugins::regex::RegexParser(std::move(re.value()));
  run(state, corpus, parser, false);
}

void BM_RegexNginxScanner(benchmark::State& state) { run_regex(state, nginx_line, "nginx", true); }
void BM_RegexNginxRe2(benchmark::State& state) { run_regex(state, nginx_line, "nginx", false); }
void BM_RegexRfc3164Scanner(benchmark::State& state) {
  run_regex(state, rfc3164_line, "syslog_rfc3164", true);
}
void BM_RegexRfc3164Re2(benchmark::State& state) {
  run_regex(state, rfc3164_line, "syslog_rfc3164", false);
}
void BM_RegexRfc5424Scanner(benchmark::State& state) {
  run_regex(state, rfc5424_line, "syslog_rfc5424", true);
}
void BM_RegexRfc5424Re2(benchmark::State& state) {
  run_regex(state, rfc5424_line, "syslog_rfc5424", false);
}

BENCHMARK(BM_JsonFlat);
BENCHMARK(BM_JsonNested);
BENCHMARK(BM_Logfmt);
BENCHMARK(BM_JsonFlatThenEncode);
BENCHMARK(BM_RegexNginxScanner);
BENCHMARK(BM_RegexNginxRe2);
BENCHMARK(BM_RegexRfc3164Scanner);
BENCHMARK(BM_RegexRfc3164Re2);
BENCHMARK(BM_RegexRfc5424Scanner);
BENCHMARK(BM_RegexRfc5424Re2);

}  // namespace

BENCHMARK_MAIN();
