// Compiled as a plugin is (logagent_layer_probe* in tests/CMakeLists.txt): with
// LOGAGENT_PROBE_FORBIDDEN it includes a pipeline header, which a plugin cannot see -- the build
// of this file must fail with "No such file or directory". Without it, only what a plugin may
// include: it must compile, so the probe's failure says something about the layers, not the probe.
#include "agent/api/plugin.h"
#include "agent/codec/event_encoder.h"
#include "agent/core/buffer_pool.h"
#include "plugins/common/fd_sink.h"
#ifdef LOGAGENT_PROBE_FORBIDDEN
#include "agent/pipeline/lane.h"
#endif

int logagent_layer_probe() { return 0; }
