#include "agent/top/top_command.h"

#include <doctest/doctest.h>

#include <atomic>
#include <sstream>
#include <string>

#include "agent/metrics/http_server.h"

using namespace logagent;
using namespace logagent::top;
using namespace std::chrono_literals;

TEST_CASE("top --once: a table from two scrapes, naming the pipeline with its rate in") {
  std::atomic<int> scrapes{0};
  HttpServer server;
  server.route("GET", "/metrics", [&](const std::string&) {
    const int n = scrapes.fetch_add(1);
    return HttpResponse{200, "text/plain",
                        "logagent_input_lines_total{pipeline=\"app\"} " +
                            std::to_string(100 + 1000 * n) +
                            "\nlogagent_sink_events_total{pipeline=\"app\",sink=\"null\","
                            "result=\"ok\"} 5\nlogagent_buffer_pool_capacity 64\n"};
  });
  REQUIRE(server.start("127.0.0.1:0").is_ok());
  TopOptions o;
  o.url = HttpUrl{"127.0.0.1", server.ports()[0], "/metrics"};
  o.interval = 10ms;
  auto table = once_table(o);
  REQUIRE(table.is_ok());
  CHECK(scrapes.load() == 2);
  REQUIRE(table->size() == 4);
  CHECK((*table)[0].find(o.url.to_string()) != std::string::npos);
  CHECK((*table)[0].find("pool 0/64") != std::string::npos);
  CHECK((*table)[2].starts_with("app "));
  std::istringstream row((*table)[2]);
  std::string name, events_in;
  row >> name >> events_in;
  CHECK(events_in != "0");  // 1000 more lines over the interval
  CHECK((*table)[3].starts_with("  null "));
  for (const auto& line : *table) CHECK(line.size() <= 80);
}

TEST_CASE("top --once: an agent that is not there is an error naming the URL") {
  HttpServer server;  // started to find a free port, then stopped
  REQUIRE(server.start("127.0.0.1:0").is_ok());
  const int port = server.ports()[0];
  server.stop();
  TopOptions o;
  o.url = HttpUrl{"127.0.0.1", port, "/metrics"};
  auto table = once_table(o);
  REQUIRE_FALSE(table.is_ok());
  CHECK(table.message().find("http://127.0.0.1:" + std::to_string(port) + "/metrics") == 0);
  CHECK(table.message().find("refused") != std::string::npos);
}
