// logagent: the composition root. Parses the command line, registers the built-in plugins,
// loads the configuration and hands it to the supervisor.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "agent/api/registry.h"
#include "agent/config/config.h"
#include "agent/supervisor/agent_log.h"
#include "agent/supervisor/heap.h"
#include "agent/supervisor/metrics_reference.h"
#include "agent/supervisor/supervisor.h"
#include "agent/version.h"
#include "plugins/builtin_plugins.h"

namespace {

void print_diagnostics(const logagent::Diagnostics& diag) {
  for (const auto& e : diag.errors()) std::fprintf(stderr, "%s\n", e.c_str());
  for (const auto& w : diag.warnings()) std::fprintf(stderr, "%s\n", w.c_str());
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

  logagent::Diagnostics diag;
  auto config = logagent::load_config(config_path, registry, diag);
  if (!config) {
    print_diagnostics(diag);
    std::fprintf(stderr, "%s: %zu error(s)\n", config_path.c_str(), diag.errors().size());
    return 1;
  }
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
