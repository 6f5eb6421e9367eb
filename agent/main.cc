// logagent: the composition root. Parses the command line, registers the built-in plugins,
// loads the configuration and hands it to the supervisor.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

#include "agent/api/registry.h"
#include "agent/config/config.h"
#include "agent/supervisor/agent_log.h"
#include "agent/supervisor/heap.h"
#include "agent/supervisor/metrics_reference.h"
#include "agent/supervisor/supervisor.h"
#include "agent/tap/tap_command.h"
#include "agent/top/http_get.h"
#include "agent/top/top_command.h"
#include "agent/version.h"
#include "plugins/builtin_plugins.h"

namespace {

void print_diagnostics(const logagent::Diagnostics& diag) {
  for (const auto& e : diag.errors()) std::fprintf(stderr, "%s\n", e.c_str());
  for (const auto& w : diag.warnings()) std::fprintf(stderr, "%s\n", w.c_str());
}

// The agent's address for `logagent top` and `tap` (`command`): from --url, else from the
// configuration's metrics.listen, else the default listener. Exit code in `code` on failure.
std::optional<logagent::top::HttpUrl> agent_url(const char* command, const std::string& url,
                                                const logagent::AgentConfig* config, int& code) {
  std::string listen = "127.0.0.1:9464";
  if (config != nullptr) {
    listen = config->metrics_listen;
    if (listen.empty()) {
      std::fprintf(stderr,
                   "logagent %s: the configuration disables metrics (metrics.listen: \"\")\n",
                   command);
      code = 1;
      return std::nullopt;
    }
  }
  auto parsed = url.empty() ? logagent::top::metrics_url_of_listen(listen)
                            : logagent::top::parse_http_url(url);
  if (!parsed) {
    std::fprintf(stderr, "logagent %s: %s: %s\n", command,
                 url.empty() ? listen.c_str() : url.c_str(), parsed.message().c_str());
    code = 2;
    return std::nullopt;
  }
  return *parsed;
}

int run_top(const std::string& url, double interval_s, bool once,
            const logagent::AgentConfig* config) {
  int code = 0;
  auto parsed = agent_url("top", url, config, code);
  if (!parsed) return code;
  logagent::top::TopOptions options;
  options.url = *parsed;
  options.interval = std::chrono::milliseconds(static_cast<long>(interval_s * 1000));
  options.once = once;
  return logagent::top::run_top(options);
}

// `logagent tap`: the address as for `top`.
int run_tap(const std::string& url, logagent::tap::TapOptions options,
            const logagent::AgentConfig* config) {
  int code = 0;
  auto parsed = agent_url("tap", url, config, code);
  if (!parsed) return code;
  options.agent = *parsed;
  return logagent::tap::run_tap(options);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"logagent: a host log collection agent"};
  app.set_version_flag("--version", std::string("logagent ") + LOGAGENT_VERSION);
  app.require_subcommand(1);

  std::string config_path;
  bool once = false;
  auto* run = app.add_subcommand("run", "Run the pipelines of a configuration");
  run->add_option("-c,--config", config_path, "Configuration file (YAML)")->required();
  run->add_flag("--once", once, "Read matched files to their end, deliver, checkpoint, exit");
  auto* validate = app.add_subcommand("validate", "Check a configuration and report every error");
  validate->add_option("-c,--config", config_path, "Configuration file (YAML)")->required();
  auto* reference = app.add_subcommand("reference", "Print the configuration reference (Markdown)");
  bool metrics_reference = false;
  reference->add_flag("--metrics", metrics_reference,
                      "Print the metrics reference instead (Markdown table)");

  std::string top_url;
  double top_interval = 1.0;
  bool top_once = false;
  auto* top = app.add_subcommand("top", "Show the pipelines and sinks of a running agent, live");
  top->add_option("-c,--config", config_path,
                  "Configuration file of the agent: its metrics.listen is the address to read");
  top->add_option("--url", top_url,
                  "URL of the agent's metrics (default: http://127.0.0.1:9464/metrics)")
      ->excludes("--config");
  top->add_option("--interval", top_interval, "Seconds between refreshes (and --once's scrapes)")
      ->check(CLI::Range(0.1, 3600.0));
  top->add_flag("--once", top_once, "Print one table as plain text and exit (for scripts)");

  std::string tap_url;
  logagent::tap::TapOptions tap_options;
  auto* tap = app.add_subcommand(
      "tap", "Print a live sample of a running pipeline's events as json lines (loopback only)");
  tap->add_option("pipeline", tap_options.pipeline, "Name of the pipeline to tap")->required();
  tap->add_option("-c,--config", config_path,
                  "Configuration file of the agent: its metrics.listen is the address to use");
  tap->add_option("--url", tap_url, "URL of the agent's listener (default: http://127.0.0.1:9464)")
      ->excludes("--config");
  tap->add_option("--stage", tap_options.stage,
                  "0: the events as the input made them; N: after the N-th stage (default: after "
                  "the last one, what the sinks get)");
  tap->add_option("--limit", tap_options.limit,
                  "Stop after this many events (default 0: until Ctrl-C)");
  tap->add_option("--rate", tap_options.rate, "Events a second, at most (default 100)")
      ->check(CLI::Range(0.001, 10000.0));

  CLI11_PARSE(app, argc, argv);

  logagent::Registry registry;
  logagent::plugins::register_builtin_plugins(registry);
  if (!registry.errors().empty()) {  // a build defect (two plugins under one name): never run it
    for (const auto& e : registry.errors()) std::fprintf(stderr, "logagent: %s\n", e.c_str());
    return 70;  // EX_SOFTWARE
  }

  if (reference->parsed()) {
    std::cout << (metrics_reference ? logagent::metrics_reference(registry)
                                    : logagent::config_reference(registry));
    return 0;
  }

  if (top->parsed() && config_path.empty())
    return run_top(top_url, top_interval, top_once, nullptr);
  if (tap->parsed() && config_path.empty()) return run_tap(tap_url, tap_options, nullptr);

  logagent::Diagnostics diag;
  auto config = logagent::load_config(config_path, registry, diag);
  if (!config) {
    print_diagnostics(diag);
    std::fprintf(stderr, "%s: %zu error(s)\n", config_path.c_str(), diag.errors().size());
    return 1;
  }
  if (top->parsed()) return run_top(top_url, top_interval, top_once, &*config);
  if (tap->parsed()) return run_tap(tap_url, tap_options, &*config);
  if (validate->parsed()) {
    print_diagnostics(diag);  // its warnings: the configuration works, not as written
    std::printf("%s: ok (%zu pipeline(s))\n", config_path.c_str(), config->pipelines.size());
    return 0;
  }
  logagent::AgentLogOptions log;
  log.level = config->log_level;
  log.format = config->log_format;
  logagent::setup_agent_log(log);
  spdlog::info("allocator: {}", logagent::configure_allocator());
  logagent::RunOptions options;
  options.once = once;
  options.config_path = config_path;
  options.registry = &registry;
  return logagent::run_agent(*config, options);
}
