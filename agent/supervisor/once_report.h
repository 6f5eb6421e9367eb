// What `logagent run --once` prints on stderr: a live progress line on a terminal, and the final
// summary with the exit status a script relies on (3 when anything read was not delivered, not
// acknowledged in time, not read at all, or not checkpointed).
//
// Threads: the supervisor thread.
#pragma once

#include <string>
#include <vector>

#include "agent/pipeline/pipeline.h"

namespace logagent {

// One live line on a terminal: files, lines, MiB/s, bytes left (rewritten in place).
void show_progress(const PipelineStats& s, double seconds);
// Erases the progress line.
void clear_progress();
// Prints "logagent: done: ..." and a line per problem; returns the exit status (0 or 3).
// `unsaved`: the pipelines whose final checkpoint could not be written.
int report_once(const PipelineStats& s, double seconds, const std::vector<std::string>& unsaved);

}  // namespace logagent
