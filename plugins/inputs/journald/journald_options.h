// JournaldOptions: the typed configuration of the `journald` input, declared once.
//
// Defaults live only in the member initialisers; schema() names every key with its
// documentation and the rules checked before any thread starts. Plain value; any thread.
#pragma once

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/options.h"

namespace logagent::plugins::journald {

// Where reading starts when the pipeline has no saved cursor (a first start).
enum class ReadFrom { kHead, kTail };
constexpr std::array<std::string_view, 2> option_names(ReadFrom) { return {"head", "tail"}; }

// The most verbose syslog priority read: all (no filter), or emerg (0) .. debug (7).
enum class Priority { kAll, kEmerg, kAlert, kCrit, kErr, kWarning, kNotice, kInfo, kDebug };
constexpr std::array<std::string_view, 9> option_names(Priority) {
  return {"all", "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
}

struct JournaldOptions {
  std::string directory;           // "" and no files: the system journal
  std::vector<std::string> files;  // journal files, instead of a directory
  std::vector<std::string> matches;
  Priority priority = Priority::kAll;
  ReadFrom read_from = ReadFrom::kHead;
  Duration wait_interval{std::chrono::milliseconds(250)};

  // The journal read, as it appears in events ("file") and in the checkpoint: "journal" (the
  // system journal), "journal:<directory>" or "journal:<file>,<file>...".
  std::string source_name() const;
  static const Schema<JournaldOptions>& schema();
};

// A match is "FIELD=value", FIELD made of A-Z, 0-9 and '_' (libsystemd's rule).
bool valid_match(std::string_view match);

}  // namespace logagent::plugins::journald
