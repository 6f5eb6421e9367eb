// Batch splits for the fuzz targets of stages that join lines across batches (cri, docker):
// the same lines run through a fresh stage as one batch, and as several batches cut at points
// drawn from the input's hash, each run ended by the file's source_end batch. The joined output
// must not depend on the cut: per stream (the last `stream` field; "" for none), the events in
// order -- message, offset, truncated and error flags, fields -- are the same. And the stage
// carries nothing once the source ended; every batch's carried_from lies within what was read.
// And a crash after a batch with carried_from set: a fresh stage reading from that offset (what a
// restart does) gives only events of the one-batch output -- never a fragment of a line.
//
// Threads: one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/plugin.h"
#include "agent/api/source.h"
#include "fuzz_support.h"

namespace logagent::fuzz {

struct SplitSource final : SourceState {
  SplitSource() : SourceState(1, nullptr) {}
};

// Per stream, one string per live event.
using StreamEvents = std::map<std::string, std::vector<std::string>>;

inline void collect(const Batch& batch, StreamEvents& out) {
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    if (e.flags & kEventDropped) continue;
    std::string stream;
    std::string text(e.message);
    text += '\0' + std::to_string(e.offset) + '\0' +
            std::to_string(e.flags & (kEventTruncated | kEventParseError));
    for (const Field& f : fields_of(batch, i)) {
      if (f.key == "stream") stream = f.value;
      text += '\0';
      text.append(f.key);
      text += '\x1f';
      text.append(f.value);
      text += static_cast<char>('0' + static_cast<int>(f.type));
    }
    out[stream].push_back(std::move(text));
  }
}

// Whether every event in `got` is one of `expected`'s events of its stream.
inline bool subset(const StreamEvents& got, const StreamEvents& expected) {
  for (const auto& [stream, list] : got) {
    const auto it = expected.find(stream);
    for (const std::string& ev : list) {
      if (it == expected.end() ||
          std::find(it->second.begin(), it->second.end(), ev) == it->second.end()) {
        return false;
      }
    }
  }
  return true;
}

using MakeStage = std::function<std::unique_ptr<Stage>()>;

// Runs `stage` over the events of `in` cut before the event indexes in `cuts` (ascending), then
// over the source_end batch; returns the output per stream. With `restart` (and `expected`),
// also checks a restart at the carried_from of the first few batches that set it.
inline StreamEvents run_split(Stage& stage, const InputBatch& in, const std::vector<size_t>& cuts,
                              const MakeStage* restart = nullptr,
                              const StreamEvents* expected = nullptr);

// A fresh stage reading `in` from byte `offset` on, as one batch: only whole events of `expected`.
inline void check_restart(const InputBatch& in, uint64_t offset, const MakeStage& make,
                          const StreamEvents& expected) {
  InputBatch rest(nullptr, 0);
  rest.batch.events.clear();
  for (const Event& e : in.batch.events) {
    if (e.offset >= offset) rest.batch.events.push_back(e);
  }
  rest.batch.end = in.batch.end;
  rest.batch.source = in.batch.source;
  const StreamEvents got = run_split(*make(), rest, {});
  FUZZ_CHECK(subset(got, expected),
             "a restart at carried_from " + std::to_string(offset) + " gives a fragment");
}

inline StreamEvents run_split(Stage& stage, const InputBatch& in, const std::vector<size_t>& cuts,
                              const MakeStage* restart, const StreamEvents* expected) {
  int restarts = 0;
  auto state = std::make_shared<SplitSource>();
  StreamEvents out;
  const auto& events = in.batch.events;
  size_t from = 0;
  uint64_t offset = 0;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    const size_t to = k < cuts.size() ? cuts[k] : events.size();
    if (to <= from && k < cuts.size()) continue;
    Batch b;
    b.state = state;
    b.source = in.batch.source;
    b.read_time_ns = in.batch.read_time_ns;
    b.begin = offset;
    b.events.assign(events.begin() + static_cast<std::ptrdiff_t>(from),
                    events.begin() + static_cast<std::ptrdiff_t>(to));
    b.end = to < events.size() ? events[to].offset : in.batch.end;
    stage.process(b);
    FUZZ_CHECK(b.carried_from == kNothingCarried || b.carried_from < b.end,
               "carried_from outside what was read");
    collect(b, out);
    if (restart != nullptr && b.carried_from != kNothingCarried && restarts++ < 3) {
      check_restart(in, b.carried_from, *restart, *expected);
    }
    offset = b.end;
    from = to;
  }
  Batch end;
  end.state = state;
  end.source_end = true;
  end.begin = end.end = offset;
  stage.process(end);
  FUZZ_CHECK(end.carried_from == kNothingCarried, "a source_end batch carried something");
  collect(end, out);
  return out;
}

// Checks that `make()`'s stage gives the same output for one batch and for cuts drawn from the
// input (see the top of this file).
inline void check_batch_splits(const uint8_t* data, size_t size, const MakeStage& make) {
  InputBatch whole(data, size);
  const StreamEvents expected = run_split(*make(), whole, {});
  uint64_t seed = fingerprint_hash(std::string_view(reinterpret_cast<const char*>(data), size));
  for (int round = 0; round < 3; ++round) {
    InputBatch in(data, size);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < in.batch.events.size(); ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      if ((seed >> 33) % static_cast<uint64_t>(round + 2) == 0) cuts.push_back(i);
    }
    FUZZ_CHECK(
        run_split(*make(), in, cuts, &make, &expected) == expected,
        "output depends on where batches are cut (" + std::to_string(cuts.size()) + " cuts)");
  }
}

}  // namespace logagent::fuzz
