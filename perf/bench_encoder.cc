// Micro-benchmarks of the json event encoding (agent/codec/event_encoder.h), Google Benchmark:
// a batch of 1,300 events of about 200 bytes as the tail input hands them over, encoded into a
// reused output buffer (as the encode step and the file sink do). bytes_per_second counts the
// input line bytes, like bench_parsers.
//
//   Unparsed      only the line: time, file, offset, message (file → file json without stages)
//   Parsed        the line plus ~10 parsed fields (json parser output): what parse → encode pays
//   Escapes       lines with quotes, backslashes, tabs and a control byte every ~40 bytes
//   Utf8          lines of mostly non-ASCII text (valid 2- and 3-byte sequences)
//   EventTimes    Unparsed with a distinct event time per event (a timestamp stage ran)
//   RawLines      the raw encoding (line + "\n"), for reference
//
//   build/perf/bench_encoder [--benchmark_filter=Parsed]
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/fields.h"
#include "agent/codec/event_encoder.h"
#include "plugins/common/json_object.h"
#include "plugins/common/parser_stage.h"

namespace {

using namespace logagent;

constexpr int kLines = 1300;

const char* const kPaths[] = {"/api/v1/users/12345", "/api/v1/orders?page=2&sort=desc", "/healthz",
                              "/static/app.3f9a1c.js"};
const char* const kLevels[] = {"info", "info", "info", "warn", "error", "debug"};

std::string json_line(int i) {
  return "{\"time\":\"2024-05-01T12:34:" + std::to_string(10 + i % 50) + "." +
         std::to_string(100 + i % 900) + "Z\",\"level\":\"" + kLevels[i % 6] + "\",\"msg\":\"" +
         (i % 10 == 0 ? "said \\\"hello\\\"" : "request completed") +
         "\",\"method\":\"GET\",\"path\":\"" + kPaths[i % 4] +
         "\",\"status\":" + std::to_string(200 + (i % 7 == 0 ? 304 : 0)) +
         ",\"latency_ms\":" + std::to_string(i % 97) + "." + std::to_string(i % 10) +
         ",\"bytes\":" + std::to_string(1000 + i * 37 % 9000) +
         ",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e" + std::to_string(1000 + i % 9000) +
         "\",\"cached\":" + (i % 3 == 0 ? "true" : "false") + "}";
}

// A loggen-like application line (~200 bytes, plain ASCII with a few quotes).
std::string app_line(int i) {
  return "2024-05-01T12:34:" + std::to_string(10 + i % 50) + "." + std::to_string(100000 + i) +
         "Z " + kLevels[i % 6] + " [worker-" + std::to_string(i % 16) + "] GET " + kPaths[i % 4] +
         " status=" + std::to_string(200 + i % 5) + " took=" + std::to_string(i % 97) +
         "ms req_id=" + std::to_string(7000000 + i * 13) +
         " trace=4bf92f3577b34da6a3ce929d0e0e4736 msg=\"request served to client "
         "10.1.2." +
         std::to_string(i % 255) + " with keep-alive, cache miss, upstream=api-" +
         std::to_string(i % 7) + "\"";
}

std::string escapes_line(int i) {
  std::string l;
  while (l.size() < 200) {
    l += "path \"C:\\temp\\x" + std::to_string(i) + "\"\tkey=value ";
    l.push_back('\x01');
  }
  return l;
}

std::string utf8_line(int i) {
  std::string l = std::to_string(i) + " ";
  while (l.size() < 200) l += "Größe überschritten – 请求失败 ";
  return l;
}

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

std::unique_ptr<Batch> make_batch(const Corpus& corpus) {
  auto b = std::make_unique<Batch>();
  b->source = std::make_shared<SourceInfo>(SourceInfo{"/var/log/app/service-01.log"});
  b->read_time_ns = 1'714'566'896'123'456'789;
  b->events = corpus.events;
  return b;
}

void encode(benchmark::State& state, const Corpus& corpus, const Batch& batch, EventFormat format) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_batch(out, batch, format);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(corpus.bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kLines);
  state.counters["out_bytes_per_line"] = static_cast<double>(out.size()) / kLines;
}

void BM_Unparsed(benchmark::State& state) {
  static const Corpus corpus(app_line);
  auto b = make_batch(corpus);
  encode(state, corpus, *b, EventFormat::kJson);
}

void BM_Parsed(benchmark::State& state) {
  static const Corpus corpus(json_line);
  auto b = make_batch(corpus);
  auto parser = plugins::json::make_json_parser();
  double hint = 8;
  if (parse_batch(*b, ParseSettings{}, *parser, hint).error != 0) {
    state.SkipWithError("parse errors");
    return;
  }
  encode(state, corpus, *b, EventFormat::kJson);
}

void BM_Escapes(benchmark::State& state) {
  static const Corpus corpus(escapes_line);
  auto b = make_batch(corpus);
  encode(state, corpus, *b, EventFormat::kJson);
}

void BM_Utf8(benchmark::State& state) {
  static const Corpus corpus(utf8_line);
  auto b = make_batch(corpus);
  encode(state, corpus, *b, EventFormat::kJson);
}

void BM_EventTimes(benchmark::State& state) {
  static const Corpus corpus(app_line);
  auto b = make_batch(corpus);
  b->event_times.resize(b->events.size());
  for (size_t i = 0; i < b->event_times.size(); ++i) {
    b->event_times[i] = b->read_time_ns - static_cast<int64_t>(i) * 1'234'567;
  }
  encode(state, corpus, *b, EventFormat::kJson);
}

void BM_RawLines(benchmark::State& state) {
  static const Corpus corpus(app_line);
  auto b = make_batch(corpus);
  encode(state, corpus, *b, EventFormat::kRaw);
}

BENCHMARK(BM_Unparsed);
BENCHMARK(BM_Parsed);
BENCHMARK(BM_Escapes);
BENCHMARK(BM_Utf8);
BENCHMARK(BM_EventTimes);
BENCHMARK(BM_RawLines);

}  // namespace

BENCHMARK_MAIN();
