// to_string(PluginKind), declared in agent/api/registry.h.
#include "agent/api/registry.h"

namespace logagent {

std::string_view to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::kInput:
      return "input";
    case PluginKind::kStage:
      return "stage";
    case PluginKind::kSink:
      return "sink";
  }
  return "plugin";
}

}  // namespace logagent
