#include "plugins/inputs/journald/journald_input.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "agent/api/source.h"
#include "agent/core/clock.h"
#include "plugins/inputs/journald/journal_reader.h"
#include "plugins/inputs/journald/journal_start.h"
#include "plugins/inputs/journald/sd_journal.h"

namespace logagent::plugins::journald {

Result<std::unique_ptr<Input>> JournaldInput::create(const Options& options,
                                                     const PluginContext& ctx) {
  if (!options.directory.empty() && !options.files.empty()) {
    return Status::error("journald: set 'directory' or 'files', not both");
  }
  return std::unique_ptr<Input>(new JournaldInput(options, ctx));
}

JournaldInput::JournaldInput(const Options& options, const PluginContext& ctx)
    : options_(options),
      pipeline_(ctx.pipeline),
      source_(options.source_name()),
      lost_vacuumed_(ctx.metrics.counter(kInputFilesLost, {{"reason", "vacuumed"}})) {}

FileIdentity JournaldInput::identity(const std::string& source_name) {
  FileIdentity id;
  id.dev = 0;
  id.ino = fingerprint_hash(source_name);
  return id;
}

std::unique_ptr<Journal> JournaldInput::open_journal(InputContext& ctx) {
  std::string last_error;
  while (!ctx.stop_token().stop_requested()) {
    auto opened = SdJournal::open(options_, ctx.pool().chunk_bytes());
    if (opened) return std::move(opened.value());
    if (ctx.once()) {
      ctx.unread(source_, opened.message());
      return nullptr;
    }
    if (opened.message() != last_error) {
      spdlog::error("pipeline {}: journald: {} (tried again every {} s)", pipeline_,
                    opened.message(), kRetryOpen.count());
      last_error = opened.message();
    }
    sleep_until(ctx.stop_token(), std::chrono::steady_clock::now() + kRetryOpen);
  }
  return nullptr;
}

void JournaldInput::run(InputContext& ctx) {
  std::unique_ptr<Journal> journal = open_journal(ctx);
  if (!journal) return;
  read(ctx, *journal);
}

void JournaldInput::read(InputContext& ctx, Journal& journal) {
  const FileIdentity id = identity(source_);
  std::string saved;
  for (const CheckpointEntry& e : ctx.saved_checkpoints()) {
    if (e.id.dev == id.dev && e.id.ino == id.ino) saved = e.position;
  }
  StartPoint start = start_reading(journal, saved, options_.read_from);
  while (!start.error.empty() && !ctx.stop_token().stop_requested()) {
    spdlog::error("pipeline {}: journald: {}: {}", pipeline_, source_, start.error);
    if (ctx.once()) {
      ctx.unread(source_, start.error);
      return;
    }
    sleep_until(ctx.stop_token(), std::chrono::steady_clock::now() + kRetryOpen);
    start = start_reading(journal, saved, options_.read_from);
  }
  if (!start.error.empty()) return;  // stopping before a start was found: nothing changes
  if (start.cursor_gone) {
    lost_vacuumed_.inc();
    spdlog::warn(
        "pipeline {}: journald: {} no longer holds the entry at the saved cursor {} (vacuumed or "
        "replaced while the agent was down): the entries between it and the oldest one left are "
        "lost; reading resumes at the oldest entry",
        pipeline_, source_, saved);
  }
  // The checkpoint holds start.position until a batch is acknowledged. When the start chose it
  // now (read_from: tail) or a loss moved it (to the oldest entry), it is written before the
  // first entry is read: a restart before the first acknowledgement, a kill -9 included, then
  // resumes there -- the entries written since the tail was found are read, and the loss is not
  // counted again. Counted before written: a crash between the two counts it twice rather than
  // never.
  auto state = ctx.sources().open(id, source_, 0, start.position);
  if (start.position != saved && !ctx.save_checkpoint()) {
    spdlog::warn(
        "pipeline {}: journald: {}: the start point could not be checkpointed before reading (it "
        "is at the next checkpoint write); a crash before then starts again as this start did",
        pipeline_, source_);
  }
  auto info = std::make_shared<const SourceInfo>(SourceInfo{source_});
  ReaderSettings settings;
  settings.max_batch_entries = kMaxBatchEntries;
  settings.wait_interval = options_.wait_interval.value;
  settings.chunk_idle_release = kChunkIdleRelease;
  JournalReader reader(ctx, journal, state, info, settings);
  reader.run(start.on_entry);
}

}  // namespace logagent::plugins::journald
