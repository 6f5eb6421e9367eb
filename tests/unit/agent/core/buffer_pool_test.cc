#include "agent/core/buffer_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using logagent::BufferPool;
using logagent::ChunkRef;

TEST_CASE("the pool hands out whole chunks up to its budget and no more") {
  BufferPool pool(4 * 4096, 4096);
  CHECK(pool.capacity() == 4);
  std::vector<ChunkRef> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(pool.try_acquire(100));
    REQUIRE(held.back());
    CHECK(held.back()->capacity() == 4096);
  }
  CHECK(pool.in_use() == 4);
  CHECK_FALSE(pool.try_acquire(1));
  held.pop_back();
  CHECK(pool.in_use() == 3);
  CHECK(pool.try_acquire(1));
}

TEST_CASE("a chunk returns to the pool only when its last reference goes") {
  BufferPool pool(2 * 4096, 4096);
  ChunkRef a = pool.try_acquire(1);
  ChunkRef b = a;  // a second event viewing the same chunk
  ChunkRef c(std::move(b));
  CHECK(pool.in_use() == 1);
  a.reset();
  CHECK(pool.in_use() == 1);
  c.reset();
  CHECK(pool.in_use() == 0);
  CHECK(pool.high_water() == 1);
}

TEST_CASE("an oversized buffer counts as several slots and fits only within the budget") {
  BufferPool pool(8 * 4096, 4096);
  ChunkRef big = pool.try_acquire(3 * 4096 + 1);
  REQUIRE(big);
  CHECK(big->slots() == 4);
  CHECK(big->capacity() >= 3 * 4096 + 1);
  CHECK(pool.in_use() == 4);
  CHECK_FALSE(pool.try_acquire(5 * 4096));
  std::stop_source never;
  CHECK_FALSE(pool.acquire(9 * 4096, never.get_token()));  // could never fit: no wait
  big.reset();
  CHECK(pool.in_use() == 0);
}

TEST_CASE("acquire blocks while the budget is spent and wakes when a chunk returns") {
  BufferPool pool(4096, 4096);
  ChunkRef held = pool.try_acquire(1);
  std::atomic<bool> got{false};
  std::stop_source stop;
  std::thread waiter([&] {
    ChunkRef c = pool.acquire(1, stop.get_token());
    got = static_cast<bool>(c);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(got.load());
  held.reset();
  waiter.join();
  CHECK(got.load());
  CHECK(pool.waits() == 1);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a blocked acquire gives up when stop is requested") {
  BufferPool pool(4096, 4096);
  ChunkRef held = pool.try_acquire(1);
  std::stop_source stop;
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    ChunkRef c = pool.acquire(1, stop.get_token());
    CHECK_FALSE(c);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop.request_stop();
  waiter.join();
  CHECK(returned.load());
}

TEST_CASE("chunks released from many threads are all accounted") {
  BufferPool pool(16 * 4096, 4096);
  std::stop_source stop;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        ChunkRef c = pool.acquire(1, stop.get_token());
        REQUIRE(c);
        c->data()[0] = static_cast<char>(i);
        ChunkRef copy = c;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(pool.in_use() == 0);
  CHECK(pool.high_water() <= pool.capacity());
}

TEST_CASE("shrink frees the kept chunks that the last period's peak did not need") {
  BufferPool pool(16 * 4096, 4096);
  std::vector<ChunkRef> burst;
  for (int i = 0; i < 10; ++i) burst.push_back(pool.try_acquire(1));
  burst.resize(2);  // the burst is over: 8 chunks kept for reuse, 2 still out
  CHECK(pool.allocated() == 10);
  CHECK(pool.in_use() == 2);
  // The period since construction peaked at 10 out; 2 are out now, so 8 kept chunks would have
  // served it: nothing is freed yet.
  CHECK(pool.shrink() == 0);
  CHECK(pool.allocated() == 10);
  // The next period only needed what was out at its start (2) plus one more taken and returned.
  { ChunkRef one = pool.try_acquire(1); }
  CHECK(pool.shrink() == 7);  // keep 3 - 2 = 1 of the 8
  CHECK(pool.allocated() == 3);
  // An idle period frees every kept chunk; chunks out are never touched.
  CHECK(pool.shrink() == 1);
  CHECK(pool.allocated() == 2);
  CHECK(pool.in_use() == 2);
  burst.clear();
  CHECK(pool.allocated() == 2);
  CHECK(pool.shrink() == 0);  // this period's peak was 2 out: keep both
  CHECK(pool.shrink() == 2);
  CHECK(pool.allocated() == 0);
  // The pool still works after shrinking to nothing, and the data of a chunk is writable.
  ChunkRef again = pool.try_acquire(4096);
  REQUIRE(again);
  again->data()[0] = 'x';
  again->data()[4095] = 'y';
  CHECK(pool.allocated() == 1);
  CHECK(pool.high_water() == 10);
}
