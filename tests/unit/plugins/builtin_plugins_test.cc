// The built-in plugin list: every plugin registers under a name of its own.
#include "plugins/builtin_plugins.h"

#include <doctest/doctest.h>

using namespace logagent;

TEST_CASE("builtin plugins: all register, none twice, every kind present") {
  Registry r;
  plugins::register_builtin_plugins(r);
  CHECK(r.errors().empty());
  CHECK(!r.names(PluginKind::kInput).empty());
  CHECK(!r.names(PluginKind::kStage).empty());
  CHECK(!r.names(PluginKind::kSink).empty());
  for (const PluginFactory* f : r.all()) {
    CAPTURE(f->name);
    CHECK(!f->name.empty());
    CHECK(static_cast<bool>(f->bind));
  }
}
