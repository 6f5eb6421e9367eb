// The host's name, as the {host} of templates (add_fields, the kafka sink's topic and key).
//
// Threads: any.
#pragma once

#include <string>

namespace logagent {

// gethostname(2); "unknown" if it fails (one fallback for every user of the name).
std::string host_name();

}  // namespace logagent
