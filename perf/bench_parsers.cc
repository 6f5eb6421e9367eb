// Micro-benchmarks of the parser stages (Google Benchmark): json and logfmt over a realistic
// batch of 1,300 lines of about 200 bytes, as the tail input hands them over. Each iteration
// parses one fresh Batch (as in the agent: batches are not reused), so the figures include the
// per-batch field vector and arena allocations. bytes_per_second counts line bytes.
//
//   build/perf/bench_parsers [--benchmark_filter=json]
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/fields.h"
#include "agent/codec/event_encoder.h"
#include "plugins/common/json_object.h"
#include "plugins/parsers/logfmt/logfmt_parser.h"

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

BENCHMARK(BM_JsonFlat);
BENCHMARK(BM_JsonNested);
BENCHMARK(BM_Logfmt);
BENCHMARK(BM_JsonFlatThenEncode);

}  // namespace

BENCHMARK_MAIN();
