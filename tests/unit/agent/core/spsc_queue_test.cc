#include "agent/core/spsc_queue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

using logagent::SpscQueue;

namespace {
// Counts live instances so the test sees every constructor matched by a destructor.
struct Tracked {
  static inline std::atomic<int> live{0};
  int value = 0;
  explicit Tracked(int v) : value(v) { ++live; }
  Tracked(Tracked&& o) noexcept : value(o.value) { ++live; }
  Tracked& operator=(Tracked&&) = default;
  ~Tracked() { --live; }
};
}  // namespace

TEST_CASE("the queue is bounded and first in, first out") {
  SpscQueue<int> q(3);
  CHECK(q.capacity() == 3);
  CHECK(q.try_push(1));
  CHECK(q.try_push(2));
  CHECK(q.try_push(3));
  int four = 4;
  CHECK_FALSE(q.try_push(std::move(four)));
  CHECK(q.size() == 3);
  CHECK(*q.try_pop() == 1);
  CHECK(q.try_push(4));
  CHECK(*q.try_pop() == 2);
  CHECK(*q.try_pop() == 3);
  CHECK(*q.try_pop() == 4);
  CHECK_FALSE(q.try_pop());
}

TEST_CASE("every element constructed in the queue is destroyed, including leftovers") {
  {
    SpscQueue<Tracked> q(8);
    for (int i = 0; i < 5; ++i) CHECK(q.try_push(Tracked(i)));
    REQUIRE(q.front() != nullptr);
    q.pop();
    CHECK(Tracked::live.load() == 4);
  }
  CHECK(Tracked::live.load() == 0);
}

TEST_CASE("two threads move a million items in order through a small queue") {
  SpscQueue<std::unique_ptr<uint64_t>> q(16);
  constexpr uint64_t kCount = 1'000'000;
  std::stop_source done;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kCount; ++i) {
      auto item = std::make_unique<uint64_t>(i);
      REQUIRE(q.push(std::move(item), std::stop_token()));
    }
    done.request_stop();
  });
  uint64_t expected = 0;
  bool in_order = true;
  while (auto item = q.pop_wait(done.get_token())) {
    in_order = in_order && **item == expected;
    ++expected;
  }
  producer.join();
  CHECK(in_order);
  CHECK(expected == kCount);
}

TEST_CASE("pop_wait returns nothing once the producer stopped and the queue is empty") {
  SpscQueue<int> q(2);
  std::stop_source stop;
  CHECK(q.try_push(7));
  stop.request_stop();
  CHECK(*q.pop_wait(stop.get_token()) == 7);
  CHECK_FALSE(q.pop_wait(stop.get_token()));
}

TEST_CASE("push gives up when stop is requested while the queue is full") {
  SpscQueue<int> q(1);
  CHECK(q.try_push(1));
  std::stop_source stop;
  stop.request_stop();
  CHECK_FALSE(q.push(2, stop.get_token()));
}

namespace {
template <class Pred>
void wait_until(Pred pred) {
  while (!pred()) std::this_thread::yield();
}
}  // namespace

TEST_CASE("a parked consumer wakes for an item, and for stop") {
  SpscQueue<int> q(4);
  std::stop_source stop;
  std::optional<int> got;
  std::thread consumer([&] { got = q.pop_wait(stop.get_token()); });
  wait_until([&] { return q.consumer_parked(); });
  CHECK(q.try_push(5));
  consumer.join();
  CHECK(got == 5);
  std::thread idle([&] { got = q.pop_wait(stop.get_token()); });
  wait_until([&] { return q.consumer_parked(); });
  stop.request_stop();
  idle.join();
  CHECK_FALSE(got.has_value());
}

TEST_CASE("a parked producer wakes when a slot frees, and for stop") {
  SpscQueue<int> q(1);
  CHECK(q.try_push(1));
  std::stop_source stop;
  bool pushed = false;
  std::thread producer([&] { pushed = q.push(2, stop.get_token()); });
  wait_until([&] { return q.producer_parked(); });
  CHECK(*q.try_pop() == 1);
  producer.join();
  CHECK(pushed);
  std::thread blocked([&] { pushed = q.push(3, stop.get_token()); });
  wait_until([&] { return q.producer_parked(); });
  stop.request_stop();
  blocked.join();
  CHECK_FALSE(pushed);
  CHECK(*q.try_pop() == 2);
}

TEST_CASE("both sides parking and waking often move every item, in order") {
  // A queue of one slot and a consumer that stops to look now and then: each side parks often.
  SpscQueue<uint64_t> q(1);
  constexpr uint64_t kCount = 20'000;
  std::stop_source done;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kCount; ++i) REQUIRE(q.push(uint64_t{i}, std::stop_token()));
    done.request_stop();
  });
  uint64_t expected = 0;
  bool in_order = true;
  while (auto item = q.pop_wait(done.get_token())) {
    in_order = in_order && *item == expected;
    ++expected;
    if (expected % 1000 == 0) std::this_thread::yield();
  }
  producer.join();
  CHECK(in_order);
  CHECK(expected == kCount);
}
