#include "plugins/inputs/journald/sd_journal.h"

#include <systemd/sd-journal.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace logagent::plugins::journald {
namespace {

std::string errno_text(int r) { return std::strerror(r < 0 ? -r : r); }

// The matches of the options, plus PRIORITY=0..N for a priority filter.
std::vector<std::string> all_matches(const JournaldOptions& o) {
  std::vector<std::string> out = o.matches;
  if (o.priority != Priority::kAll) {
    const int most = static_cast<int>(o.priority) - 1;  // kEmerg is 1, priority 0
    for (int p = 0; p <= most; ++p) out.push_back("PRIORITY=" + std::to_string(p));
  }
  return out;
}

int open_journal(const JournaldOptions& o, sd_journal** j) {
  if (!o.directory.empty()) return sd_journal_open_directory(j, o.directory.c_str(), 0);
  if (o.files.empty()) return sd_journal_open(j, 0);
  std::vector<const char*> paths;
  for (const std::string& f : o.files) paths.push_back(f.c_str());
  paths.push_back(nullptr);
  return sd_journal_open_files(j, paths.data(), 0);
}

}  // namespace

Result<std::unique_ptr<Journal>> SdJournal::open(const JournaldOptions& options,
                                                 size_t max_field_bytes) {
  sd_journal* j = nullptr;
  if (int r = open_journal(options, &j); r < 0) {
    return Status::error("cannot open " + options.source_name() + ": " + errno_text(r));
  }
  std::unique_ptr<SdJournal> journal(new SdJournal(j, all_matches(options)));
  if (int r = sd_journal_set_data_threshold(j, max_field_bytes); r < 0) {
    return Status::error("cannot set the data threshold: " + errno_text(r));
  }
  if (int r = journal->add_matches(); r < 0) {
    return Status::error("cannot add the matches: " + errno_text(r));
  }
  return std::unique_ptr<Journal>(std::move(journal));
}

SdJournal::~SdJournal() { sd_journal_close(j_); }

int SdJournal::add_matches() {
  for (const std::string& m : matches_) {
    if (int r = sd_journal_add_match(j_, m.data(), m.size()); r < 0) return r;
  }
  return 0;
}

bool SdJournal::seek_head() { return sd_journal_seek_head(j_) >= 0; }

bool SdJournal::seek_tail() {
  // After seek_tail the position is past the end; previous() steps onto the newest entry (there
  // is none in an empty journal: next() then gives the first one written).
  if (sd_journal_seek_tail(j_) < 0) return false;
  return sd_journal_previous(j_) >= 0;
}

bool SdJournal::seek_cursor(const std::string& cursor) {
  return sd_journal_seek_cursor(j_, cursor.c_str()) >= 0;
}

int SdJournal::next() { return broken_ ? -ENOMEM : sd_journal_next(j_); }

bool SdJournal::at_cursor(const std::string& cursor) {
  return sd_journal_test_cursor(j_, cursor.c_str()) > 0;
}

bool SdJournal::contains(const std::string& cursor) {
  sd_journal_flush_matches(j_);
  const bool found = seek_cursor(cursor) && next() > 0 && at_cursor(cursor);
  // The same matches were added at open; should libsystemd refuse them now (out of memory),
  // next() fails from then on rather than read unfiltered.
  if (add_matches() < 0) broken_ = true;
  seek_cursor(cursor);
  return found;
}

std::string SdJournal::cursor() {
  char* c = nullptr;
  if (sd_journal_get_cursor(j_, &c) < 0 || c == nullptr) return {};
  std::string out(c);
  std::free(c);
  return out;
}

std::string_view SdJournal::field(const char* name) {
  const void* data = nullptr;
  size_t size = 0;
  if (sd_journal_get_data(j_, name, &data, &size) < 0) return {};
  // "NAME=value": the value follows the name and '='.
  const size_t skip = std::strlen(name) + 1;
  if (size < skip) return {};
  return {static_cast<const char*>(data) + skip, size - skip};
}

uint64_t SdJournal::realtime_usec() {
  uint64_t usec = 0;
  return sd_journal_get_realtime_usec(j_, &usec) < 0 ? 0 : usec;
}

void SdJournal::wait(std::chrono::milliseconds timeout) {
  sd_journal_wait(j_, static_cast<uint64_t>(timeout.count()) * 1000);
}

}  // namespace logagent::plugins::journald
