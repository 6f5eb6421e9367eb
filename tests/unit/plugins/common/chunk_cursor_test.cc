// ChunkCursor: the one chunk an input fills -- kept while it has room, replaced when it
// has not, oversized on demand, given back when idle, and never waited for once stopping.
#include "plugins/common/chunk_cursor.h"

#include <doctest/doctest.h>

#include <stop_token>

namespace logagent::plugins {

TEST_CASE("the cursor keeps its chunk while it has the room asked for, then takes a new one") {
  BufferPool pool(64 * 1024, 4096);
  std::stop_source stop;
  ChunkCursor c(pool, stop.get_token());
  CHECK(c.free_bytes() == 0);
  REQUIRE(c.ensure(1024));
  CHECK(c.untouched());
  CHECK(c.capacity() == 4096);
  const char* first = c.free_ptr();
  c.commit(3000);
  CHECK_FALSE(c.untouched());
  CHECK(c.free_bytes() == 1096);
  REQUIRE(c.ensure(1024));
  CHECK(c.free_ptr() == first + 3000);  // kept
  REQUIRE(c.ensure(2048));
  CHECK(c.untouched());  // replaced
  CHECK(c.free_bytes() == 4096);
  CHECK(pool.in_use() == 1);  // the old chunk went back: nothing else referenced it
  c.release();
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a chunk shared with a batch stays out of the pool until both let it go") {
  BufferPool pool(64 * 1024, 4096);
  std::stop_source stop;
  ChunkCursor c(pool, stop.get_token());
  REQUIRE(c.ensure(1));
  ChunkRef held = c.ref();  // what a batch holds
  REQUIRE(c.fresh(1));
  CHECK(pool.in_use() == 2);
  held.reset();
  CHECK(pool.in_use() == 1);
  c.release();
  CHECK(pool.in_use() == 0);
}

TEST_CASE("fresh() takes an oversized chunk for a line longer than one chunk") {
  BufferPool pool(64 * 1024, 4096);
  std::stop_source stop;
  ChunkCursor c(pool, stop.get_token());
  REQUIRE(c.fresh(10000));
  CHECK(c.capacity() >= 10000);
  CHECK(pool.in_use() == 3);
  c.release();
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a cursor asked for more than the pool can ever lend, or stopped while waiting, fails") {
  BufferPool pool(8192, 4096);
  std::stop_source stop;
  ChunkCursor c(pool, stop.get_token());
  CHECK_FALSE(c.fresh(3 * 4096));  // never fits
  CHECK(c.free_bytes() == 0);
  ChunkRef a = pool.try_acquire(4096);
  ChunkRef b = pool.try_acquire(4096);
  REQUIRE(a);
  REQUIRE(b);
  stop.request_stop();  // the pool is spent: the wait ends at once
  CHECK_FALSE(c.ensure(1));
  CHECK_FALSE(c.fresh(1));
}

}  // namespace logagent::plugins
