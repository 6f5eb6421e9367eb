// SdJournal: the Journal (journal.h) read through libsystemd's sd_journal.
//
// open() opens the system journal, a directory or a list of files, and adds the matches and the
// priority filter of the options. Data fields are read whole up to `max_field_bytes` (libsystemd
// cuts longer ones there).
//
// Threads: made, used and destroyed on one thread (libsystemd's rule).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/api/status.h"
#include "plugins/inputs/journald/journal.h"
#include "plugins/inputs/journald/journald_options.h"

struct sd_journal;

namespace logagent::plugins::journald {

class SdJournal final : public Journal {
 public:
  static Result<std::unique_ptr<Journal>> open(const JournaldOptions& options,
                                               size_t max_field_bytes);
  ~SdJournal() override;
  SdJournal(const SdJournal&) = delete;
  SdJournal& operator=(const SdJournal&) = delete;

  bool seek_head() override;
  bool seek_tail() override;
  bool seek_cursor(const std::string& cursor) override;
  int next() override;
  bool at_cursor(const std::string& cursor) override;
  bool contains(const std::string& cursor) override;
  std::string cursor() override;
  std::string_view field(const char* name) override;
  uint64_t realtime_usec() override;
  void wait(std::chrono::milliseconds timeout) override;

 private:
  SdJournal(sd_journal* j, std::vector<std::string> matches)
      : j_(j), matches_(std::move(matches)) {}
  int add_matches();

  sd_journal* j_;
  std::vector<std::string> matches_;  // with the priority filter's PRIORITY=N matches
  bool broken_ = false;               // the matches could not be added back (contains())
};

}  // namespace logagent::plugins::journald
