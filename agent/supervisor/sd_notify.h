// systemd's readiness protocol (sd_notify(3)) without libsystemd: a datagram to $NOTIFY_SOCKET.
// A no-op when the variable is unset (not started by systemd with Type=notify).
//
// Threads: any; each call opens, sends and closes its own socket.
#pragma once

#include <string_view>

namespace logagent {

// Sends `state`, e.g. "READY=1\nSTATUS=running 2 pipelines". False if it could not be sent.
bool sd_notify_state(std::string_view state);

}  // namespace logagent
