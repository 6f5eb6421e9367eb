#include "agent/supervisor/agent_log.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <thread>

#include "agent/codec/event_encoder.h"

using namespace logagent;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("agent log: json lines escape any message") {
  std::ostringstream out;
  AgentLogOptions o;
  o.format = LogFormat::kJson;
  auto log = make_agent_logger(o, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  log->warn("file \"{}\" has a\ttab and \x01 byte \xff", "/var/log/a.log");
  log->debug("not shown at info");
  log->flush();
  const std::string text = out.str();
  CHECK(text.find(R"("level":"warning","msg":"file \"/var/log/a.log\" has a\ttab and \u0001 )"
                  R"(byte )") != std::string::npos);
  CHECK(text.rfind("{\"time\":\"", 0) == 0);
  CHECK(count(text, "\n") == 1);
  CHECK(text.find("not shown") == std::string::npos);
}

TEST_CASE("agent log: repeats beyond the burst are counted, then summarised") {
  std::ostringstream out;
  AgentLogOptions o;
  o.burst = 3;
  o.window = std::chrono::milliseconds(200);
  auto log = make_agent_logger(o, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  for (int i = 0; i < 50; ++i) log->error("disk full on /data");
  log->error("another message");
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  log->info("next window");
  log->flush();
  const std::string text = out.str();
  CHECK(count(text, "error disk full on /data") == 3);
  CHECK(count(text, "suppressed 47 repeats of: disk full on /data") == 1);
  CHECK(count(text, "another message") == 1);
  CHECK(count(text, "next window") == 1);
}
