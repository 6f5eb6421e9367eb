// Fuzz target: the configuration loader (agent/config/config.h, load_config_text) with every
// built-in plugin registered, on arbitrary bytes as the YAML document.
//
// Checks: it returns a config exactly when it reports no error; every error names the file and a
// position ("fuzz.yaml:LINE:COL: ...") or at least the file; a config that loads has at least one
// pipeline, each with a unique name, an input and at least one sink, every plugin bound to its
// factory and typed options.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "agent/config/config.h"
#include "fuzz_support.h"
#include "plugins/builtin_plugins.h"

namespace {

using namespace logagent;

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    plugins::register_builtin_plugins(reg);
    return reg;
  }();
  return r;
}

void check_plugin(const PluginConfig& p, const std::string& what) {
  FUZZ_CHECK(!p.type.empty() && p.factory != nullptr && p.options != nullptr, what + " not bound");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Diagnostics diag;
  const auto config = load_config_text(text, "fuzz.yaml", registry(), diag);
  FUZZ_CHECK(config.has_value() == diag.errors().empty(),
             config ? "a config with errors" : "no config and no error");
  for (const std::string& e : diag.errors()) {
    fuzz::touch(e);
    FUZZ_CHECK(e.starts_with("fuzz.yaml"), "error without its file: " + e);
  }
  if (!config) return 0;
  FUZZ_CHECK(!config->pipelines.empty(), "a config without pipelines");
  std::set<std::string> names;
  for (const PipelineConfig& p : config->pipelines) {
    FUZZ_CHECK(names.insert(p.name).second, "duplicate pipeline " + p.name);
    FUZZ_CHECK(p.workers >= 1 && p.queue_size >= 1, "pipeline " + p.name + " without lanes");
    check_plugin(p.input, "input of " + p.name);
    FUZZ_CHECK(!p.sinks.empty(), "pipeline " + p.name + " without sinks");
    for (const PluginConfig& s : p.stages) check_plugin(s, "stage of " + p.name);
    for (const PluginConfig& s : p.sinks) check_plugin(s, "sink of " + p.name);
  }
  return 0;
}
