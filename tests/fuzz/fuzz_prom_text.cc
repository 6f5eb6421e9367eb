// Fuzz target: `logagent top`'s reading of /metrics (agent/top): the Prometheus text parser, the
// snapshot and rates built from it, the table rendered from those, and the HTTP response parser,
// on arbitrary bytes.
//
// Checks: every sample has a name made of metric-name characters; samples plus malformed lines
// never outnumber the input's lines; rates are finite and not negative whatever the values
// (NaN, infinities, resets); every rendered line keeps to its width (taken from the first byte) and
// holds only printable ASCII; a response body is never longer than the response.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/top/http_get.h"
#include "agent/top/prom_text.h"
#include "agent/top/top_model.h"
#include "agent/top/top_render.h"
#include "fuzz_support.h"

namespace {

using namespace logagent::top;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

void check_row(const TopRow& r) {
  for (double v : {r.events_in_per_s, r.events_out_per_s, r.mib_per_s, r.bytes_behind, r.files_open,
                   r.errors, r.lag_seconds}) {
    FUZZ_CHECK(std::isfinite(v), "a figure that is not finite: " + r.name);
  }
  FUZZ_CHECK(r.events_in_per_s >= 0 && r.events_out_per_s >= 0 && r.mib_per_s >= 0,
             "a negative rate: " + r.name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const PromScrape scrape = parse_prom_text(text);
  size_t lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  FUZZ_CHECK(scrape.samples.size() + scrape.malformed_lines <= lines, "more samples than lines");
  for (const PromSample& s : scrape.samples) {
    FUZZ_CHECK(!s.name.empty(), "a sample without a name");
    for (char c : s.name) FUZZ_CHECK(name_char(c), "a name with a bad character: " + s.name);
    for (const auto& [k, v] : s.labels) {
      FUZZ_CHECK(!k.empty(), "a label without a name");
      logagent::fuzz::touch(v);
    }
  }

  // The same scrape as the "before" of a reset (everything doubled, then the real values).
  const TopSnapshot after = snapshot_of(scrape);
  TopSnapshot before = after;
  for (auto& [name, p] : before.pipelines) p.lines_in = p.lines_in * 2 + 1;
  const TopView view = top_rates(before, after, 1.0);
  for (const TopRow& r : view.rows) check_row(r);

  const int width = size == 0 ? 80 : 10 + data[0] % 120;
  for (const std::string& line : render_table(view, std::string(text.substr(0, 200)), width)) {
    FUZZ_CHECK(line.size() <= static_cast<size_t>(width),
               "a line wider than " + std::to_string(width) + ": " + line);
    for (char c : line) FUZZ_CHECK(c >= 0x20 && c < 0x7f, "a non-printable byte: " + line);
  }

  auto body = http_response_body(text);
  if (body.is_ok()) FUZZ_CHECK(body->size() <= size, "a body longer than the response");
  return 0;
}
