#include "agent/metrics/agent_metrics.h"

#include <doctest/doctest.h>

#include <stop_token>
#include <string>

using namespace logagent;

TEST_CASE("the buffer pool's gauges follow the pool at scrape time") {
  MetricsRegistry registry;
  BufferPool pool(4 * 4096, 4096);
  register_agent_metrics(registry, pool, "1.2.3");
  ChunkRef chunk = pool.acquire(100, {});
  const std::string text = registry.render();
  CHECK(text.find("logagent_buffer_pool_in_use 1") != std::string::npos);
  CHECK(text.find("logagent_buffer_pool_capacity 4") != std::string::npos);
  CHECK(text.find("logagent_buffer_pool_chunk_bytes 4096") != std::string::npos);
  CHECK(text.find(R"(logagent_build_info{version="1.2.3"} 1)") != std::string::npos);
  chunk = ChunkRef();
  CHECK(registry.render().find("logagent_buffer_pool_in_use 0") != std::string::npos);
  CHECK(registry.declaration_errors().empty());
}

TEST_CASE("the buffer pool's waits are exported as a counter that follows the pool's count") {
  MetricsRegistry registry;
  BufferPool pool(4096, 4096);
  register_agent_metrics(registry, pool, "1.2.3");
  std::string text = registry.render();
  CHECK(text.find("# TYPE logagent_buffer_pool_waits_total counter") != std::string::npos);
  CHECK(text.find("logagent_buffer_pool_waits_total 0") != std::string::npos);
  const ChunkRef held = pool.acquire(100, {});
  std::stop_source cancelled;
  cancelled.request_stop();
  CHECK_FALSE(pool.acquire(100, cancelled.get_token()));  // waits, and gives up at once
  CHECK(registry.render().find("logagent_buffer_pool_waits_total 1") != std::string::npos);
  CHECK_FALSE(pool.acquire(100, cancelled.get_token()));
  CHECK_FALSE(pool.acquire(100, cancelled.get_token()));
  CHECK(registry.render().find("logagent_buffer_pool_waits_total 3") != std::string::npos);
}
