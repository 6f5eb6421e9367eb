// Fuzz target: the "docker" parser stage (plugins/parsers/docker) on lines of arbitrary bytes.
//
// Besides the common parser invariants (parser_harness.h), a differential check against
// simdjson's DOM parser: when a line parses, it is a JSON object with a string "log", the
// event's message is the last "log" without one trailing "\n", and every member not named
// "log" is a field (checked on the parser: the stage joins split records). Split records
// (a `log` without the final "\n") joined across batches (split_harness.h): the same lines cut
// into random batches give the output of one batch, with a small max_bytes so that truncation is
// cut across batches too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "parser_harness.h"
#include "plugins/parsers/docker/docker_parser.h"
#include "split_harness.h"

namespace {

using namespace logagent;
namespace docker = logagent::plugins::docker;

void check_against_dom(const uint8_t* data, size_t size) {
  fuzz::InputBatch in(data, size);
  docker::DockerParser parser;
  ParseSettings settings;
  double hint = 3;
  parse_batch(in.batch, settings, parser, hint);
  simdjson::dom::parser dom;
  for (size_t i = 0; i < in.batch.events.size(); ++i) {
    if (in.batch.events[i].flags & kEventParseError) continue;
    const std::string at = "line " + std::to_string(i) + ": " + std::string(in.lines[i]);
    simdjson::dom::element e;
    simdjson::dom::object o;
    FUZZ_CHECK(fuzz::parse_json(dom, in.lines[i]).get(e) == simdjson::SUCCESS &&
                   e.get_object().get(o) == simdjson::SUCCESS,
               "parsed what simdjson's DOM rejects: " + at);
    std::string_view log;  // the last "log" member wins
    bool log_is_string = false;
    size_t logs = 0;
    for (auto [key, value] : o) {
      if (key != "log") continue;
      ++logs;
      log_is_string = value.get_string().get(log) == simdjson::SUCCESS;
    }
    FUZZ_CHECK(log_is_string, "parsed without a string log: " + at);
    if (!log.empty() && log.back() == '\n') log.remove_suffix(1);
    FUZZ_CHECK(in.batch.events[i].message == log, "message is not log: " + at);
    FUZZ_CHECK(fields_of(in.batch, i).size() == o.size() - logs, "member count: " + at);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::run_parser_stage(
      data, size,
      [](OnError on_error) {
        docker::DockerOptions o;
        o.on_error = on_error;
        return fuzz::make_stage<docker::DockerStage>(o);
      },
      fuzz::ParserExpect{.may_join = true});
  check_against_dom(data, size);
  fuzz::check_batch_splits(data, size, [] {
    docker::DockerOptions o;
    o.max_bytes.bytes = 64;
    return fuzz::make_stage<docker::DockerStage>(o);
  });
  return 0;
}
