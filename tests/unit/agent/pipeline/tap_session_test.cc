#include "agent/pipeline/tap_session.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "agent/codec/event_encoder.h"

using namespace logagent;

namespace {

constexpr int64_t kSecond = 1'000'000'000;

// A batch of `n` events "e0".."e<n-1>" from /a.log (the strings outlive the batch's views).
struct TestBatch {
  explicit TestBatch(size_t n, size_t message_bytes = 2) {
    auto info = std::make_shared<SourceInfo>("/a.log");
    batch.source = info;
    for (size_t i = 0; i < n; ++i) {
      std::string m = "e";  // appended: g++ 12 -O3 false -Wrestrict on "literal" + string
      m += std::to_string(i);
      if (m.size() < message_bytes) m.resize(message_bytes, 'x');
      texts.push_back(std::move(m));
    }
    for (size_t i = 0; i < n; ++i) batch.events.push_back({texts[i], i * 10, 0, 0});
  }
  std::vector<std::string> texts;
  Batch batch;
};

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

std::string take_all(TapSession& s) {
  std::string out;
  s.take(out, std::chrono::milliseconds(0));
  return out;
}

}  // namespace

TEST_CASE("a tap session copies a batch's live events as the json lines of the file sink") {
  TestBatch t(3);
  t.batch.events[1].flags = kEventDropped;
  TapSession s(0, TapLimits{}, 0);
  s.offer(t.batch, 0);
  std::string want;
  encode_batch(want, t.batch, EventFormat::kJson);
  CHECK(take_all(s) == want);
  const TapCounts c = s.counts();
  CHECK(c.seen == 2);
  CHECK(c.taken == 2);
  CHECK(c.skipped == 0);
  CHECK(c.dropped == 0);
}

TEST_CASE("a tap session copies at most its rate a second and spreads the sample over a batch") {
  TestBatch t(100);
  TapLimits limits;
  limits.rate = 10;
  TapSession s(0, limits, 0);
  s.offer(t.batch, 0);  // a full bucket: one second's worth
  const std::string first = take_all(s);
  CHECK(lines(first) == 10);
  CHECK(first.find("\"message\":\"e0\"") != std::string::npos);
  CHECK(first.find("\"message\":\"e90\"") != std::string::npos);  // not only the batch's head
  s.offer(t.batch, kSecond / 10);  // a tenth of a second later: one more
  CHECK(lines(take_all(s)) == 1);
  s.offer(t.batch, kSecond / 10);  // no time passed: none
  CHECK(take_all(s).empty());
  const TapCounts c = s.counts();
  CHECK(c.seen == 300);
  CHECK(c.taken == 11);
  CHECK(c.skipped == 289);
}

TEST_CASE("a full tap buffer drops samples and counts them, and takes them again once read") {
  TestBatch t(10, 100);
  TapLimits limits;
  limits.max_bytes = 1000;
  limits.rate = 1000;
  TapSession s(0, limits, 0);
  s.offer(t.batch, 0);
  CHECK(s.buffered_bytes() <= limits.max_bytes);
  const TapCounts c = s.counts();
  CHECK(c.taken > 0);
  CHECK(c.dropped > 0);
  CHECK(c.taken + c.dropped == 10);
  CHECK(lines(take_all(s)) == c.taken);
  CHECK(s.buffered_bytes() == 0);
  s.offer(t.batch, 1);
  CHECK(s.counts().taken > c.taken);
}

TEST_CASE("an event larger than the tap buffer is dropped, never buffered") {
  TestBatch t(1, 5000);
  TapLimits limits;
  limits.max_bytes = 1000;
  TapSession s(0, limits, 0);
  s.offer(t.batch, 0);
  CHECK(s.counts().dropped == 1);
  CHECK(s.buffered_bytes() == 0);
}

TEST_CASE("a tap session with a limit copies no more than the limit, then take() ends") {
  TestBatch t(5);
  TapLimits limits;
  limits.limit = 3;
  TapSession s(0, limits, 0);
  s.offer(t.batch, 0);
  s.offer(t.batch, kSecond);
  std::string out;
  CHECK(s.take(out, std::chrono::milliseconds(0)));
  CHECK(lines(out) == 3);
  CHECK_FALSE(s.take(out, std::chrono::milliseconds(0)));
  CHECK(s.counts().taken == 3);
}

TEST_CASE("a closed tap session copies nothing, hands out what is left, then ends") {
  TestBatch t(2);
  TapSession s(0, TapLimits{}, 0);
  s.offer(t.batch, 0);
  s.close("pipeline stopped");
  s.close("agent stopping");  // the first reason stays
  s.offer(t.batch, kSecond);
  std::string out;
  CHECK(s.take(out, std::chrono::milliseconds(0)));
  CHECK(lines(out) == 2);
  CHECK_FALSE(s.take(out, std::chrono::milliseconds(0)));
  CHECK(s.reason() == "pipeline stopped");
}

TEST_CASE("take() wakes when another thread offers a batch or closes the session") {
  TestBatch t(1);
  TapSession s(0, TapLimits{}, 0);
  std::thread producer([&] {
    s.offer(t.batch, 0);
    s.close("pipeline stopped");
  });
  std::string all, out;
  while (s.take(out, std::chrono::seconds(10))) all += out;
  producer.join();
  CHECK(lines(all) == 1);
}
