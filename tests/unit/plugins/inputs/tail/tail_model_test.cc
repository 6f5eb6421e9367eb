// Model-based test of the tail input's discovery and tracker, the way Vector tests its file
// source: seeded random sequences of what applications and logrotate do to a directory --
// create, append, rotate by rename (keeping a few generations, deleting the oldest),
// copy-truncate, truncate, delete -- interleaved with what happens to the agent: normal steps,
// stalls (the reader blocked by backpressure while discovery goes on, or the whole agent
// stopped), checkpoints, crash-restarts (the agent thrown away with batches unacknowledged and
// its descriptors closed, restarted from its last checkpoint, sometimes after files changed while
// it was down), and a tiny max_open_files in some runs.
//
// The agent is the real Discovery and FileTracker, stepped on this thread the way the live loop
// runs them (tail_input.cc: follow()), over a real directory and real inotify: every event is
// queued by the syscall that caused it. Their syscalls and clock go through a FakeTailSys
// (fake_tail_sys.h), so a run is a function of its seed. The first case keeps the clock still
// (no drain grace, idle_close_after 0); the second gives both a second, lets time pass by steps
// the model chooses (the clock decides what is closed when), and makes reads fail (EIO) at
// random -- errors the agent must count and recover from without losing a line. Opens failing
// (EMFILE) are a variant to search with (LOGAGENT_MODEL_VARIANT, below).
//
// The model knows every generation (inode) it created, its lines, and which of them are still
// on disk. Asserted after every operation: no line emitted twice within one incarnation of the
// agent, and lines of one generation emitted in the order written (duplicates only after a
// crash, when the agent resumes from a checkpoint). Asserted when the agent has caught up
// (settle(), at random and at the end): every line on disk in a generation the agent could see
// was emitted; every generation with lines missing was gone (deleted, or truncated) and its loss
// is counted.
#include <doctest/doctest.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fake_tail_sys.h"
#include "plugins/inputs/tail/discovery.h"
#include "plugins/inputs/tail/file_tracker.h"
#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

constexpr int kKeep = 2;  // rotated generations kept: name.1 .. name.kKeep

// One incarnation of the agent: what a process holds, thrown away whole by a crash.
struct Agent {
  Agent(const TailOptions& o, Plugin& plugin, std::vector<CheckpointEntry> saved, FakeTailSys& fake)
      : sys(fake),
        options(o),
        scanner(options.paths, {}, "/"),
        watcher(/*enabled=*/true),
        metrics(plugin.ctx.metrics),
        chunk(ctx.pool(), ctx.stop_token()),
        env{ctx, chunk, metrics, 64 * 1024, 16 * 1024, false},
        tracker(options, scanner, watcher, metrics, sys) {
    ctx.saved() = std::move(saved);
    tracker.start(env);
    discovery.emplace(options, scanner, watcher, metrics, tracker.budget(), "model", sys);
    discovery->seed(tracker.identities());
    tracker.set_discovery(&*discovery);
  }
  ~Agent() {
    tracker.set_discovery(nullptr);
    discovery.reset();
    chunk.release();
  }

  // Discovery's thread: one step.
  void discover(bool scan) {
    discovery->step(0, scan);
    maintain_due = maintain_due || scan;
  }
  // The input thread: takes what discovery found, maintains after a scan (given to it or kept by
  // discovery: the live loop maintains each scan_interval either way), then reads until nothing
  // is left.
  void read() {
    DiscoveryUpdate u;
    discovery->take(&u);
    bool scanned = false;
    if (!u.empty()) {
      scanned = u.scanned;
      tracker.apply(env, u);
    }
    if (scanned || maintain_due) tracker.maintain(env, sys.mono_now_ns());
    maintain_due = false;
    bool stopped = false;
    while (tracker.read_round(env, &stopped) && !stopped) {
    }
    REQUIRE_FALSE(stopped);
  }

  FakeTailSys& sys;
  TailOptions options;
  PathScanner scanner;
  InotifyWatcher watcher;
  TailMetrics metrics;
  FakeInputContext ctx{/*once=*/false, 64 * 1024 * 1024, 64 * 1024};
  ChunkCursor chunk;
  ReadEnv env;
  FileTracker tracker;
  std::optional<Discovery> discovery;
  bool maintain_due = false;
};

struct Generation {
  std::string name;                 // where it is now ("" once unlinked)
  std::vector<uint64_t> on_disk;    // sequence numbers of its lines on disk now
  std::vector<uint64_t> truncated;  // lines a truncation removed before they were emitted
  // Truncations that removed lines not emitted from a file the agent had read from: it can tell
  // (its offset is past the new end, or the first bytes changed), so it must count them.
  bool truncation_visible = false;
  bool truncation_pending = false;
  bool truncated_while_down = false;  // visible once the agent has read since (a crash first: not)
  uint64_t next_seq = 0;
  bool matched_at_birth = false;
  bool seen = false;           // it had a matched name when discovery (or a start-up scan) looked
  int matched_in = -1;         // the last incarnation in which it had a matched name
  bool unlink_unseen = false;  // deleted while no agent ran, or a crash since: nobody saw it go
  uint64_t ino = 0;
};

class Model {
 public:
  // `timed`: a drain grace and idle_close_after of a second (else none: the clock decides
  // nothing); `read_faults`, `open_faults`: reads (EIO), opens (EMFILE) fail now and then.
  // `races`: other processes rotate, create, append and delete between the agent's reading of an
  // event and its opening of a name (at random opens).
  Model(uint64_t seed, uint32_t max_open_files, bool timed, bool read_faults, bool open_faults,
        bool races = false)
      : rng_(seed),
        options_(fast_options(dir_ / "*.log")),
        timed_(timed),
        read_faults_(read_faults),
        open_faults_(open_faults) {
    if (races) sys_.set_before_open([this](const char*) { race(); });
    options_.max_open_files = max_open_files;
    const auto interval = timed ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0);
    options_.scan_interval.value = interval;  // the drain grace
    options_.idle_close_after.value = interval;
    options_.read_from = ReadFrom::kHead;
    start_agent();
  }
  ~Model() {
    sys_.set_before_open(nullptr);
    agent_.reset();
  }

  void run(int ops) {
    for (int i = 0; i < ops && !failed_; ++i) {
      step_once();
      check_emitted();
      if (chance(0.05) && agent_) settle_and_check();
    }
    if (failed_) return;
    if (!agent_) start_agent();
    settle_and_check();
  }

  std::string trace() const {
    std::string t;
    for (const std::string& s : trace_) t += s + "; ";
    return t;
  }

 private:
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string path(const std::string& name) const { return dir_ / name; }
  uint64_t ino_of(const std::string& name) const {
    struct stat st {};
    REQUIRE(::stat(path(name).c_str(), &st) == 0);
    return static_cast<uint64_t>(st.st_ino);
  }
  static bool matched(const std::string& name) {
    return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
  }

  void step_once() {
    static const char* kStreams[] = {"a", "b", "c"};
    const std::string s = kStreams[pick(3)];
    const int op = pick(100);
    if (op < 35) {
      append(s, 1 + pick(20));
    } else if (op < 42) {
      rotate(s);
    } else if (op < 46) {
      copy_truncate(s);
    } else if (op < 48) {
      truncate(s);
    } else if (op < 51) {
      remove(s);
    } else if (op < 58) {
      if (agent_) {
        trace_.push_back("stall-reader");
        agent_->discover(chance(0.3));  // backpressure: discovery goes on, the reader waits
      }
    } else if (op < 62) {
      trace_.push_back("checkpoint");
      if (agent_) take_checkpoint();
    } else if (op < 64) {
      crash();
    } else if (op < 66) {
      if (!agent_) start_agent();
    } else if (timed_ && op < 71) {
      const int ms = pick(1500);
      trace_.push_back("time +" + std::to_string(ms) + "ms");
      sys_.advance(std::chrono::milliseconds(ms));
    } else if ((read_faults_ || open_faults_) && op < 74) {
      inject_fault(s);
    } else {
      agent_step();
    }
  }

  // Inside an open of the agent's: what another process does meanwhile. Not while settling (the
  // agent must be able to catch up), nor while the agent is being made or thrown away.
  void race() {
    if (in_race_ || settling_ || !agent_ || !chance(0.25)) return;
    in_race_ = true;
    static const char* kStreams[] = {"a", "b", "c"};
    const std::string s = kStreams[pick(3)];
    trace_.push_back("race:");
    const int op = pick(10);
    if (op < 5) {
      rotate(s);
    } else if (op < 8) {
      append(s, 1 + pick(5));
    } else if (op < 9) {
      if (at_.count(s + ".log") == 0) create(s);
    } else {
      remove(s);
    }
    in_race_ = false;
  }

  // The next read or open of a stream's files fails: the agent counts it and tries again.
  void inject_fault(const std::string& s) {
    if (read_faults_ && (!open_faults_ || chance(0.5))) {
      trace_.push_back("fault read " + s);
      sys_.fail(SysCall::kPread, EIO, "/" + s + ".log", 1);
    } else {
      trace_.push_back("fault open " + s);
      sys_.fail(SysCall::kOpen, EMFILE, "/" + s + ".log", 1);
    }
  }

  // What a restart can find again: the generations on disk the checkpoint names (by inode).
  void take_checkpoint() {
    checkpoint_ = agent_->ctx.acks().snapshot();
    checkpointed_.clear();
    for (const auto& [id, g] : gens_) {
      for (const CheckpointEntry& e : checkpoint_) {
        if (!g.name.empty() && e.id.ino == g.ino) checkpointed_.insert(id);
      }
    }
  }

  void agent_step() {
    if (!agent_) return;  // down: files change meanwhile
    trace_.push_back("step");
    agent_->discover(chance(0.2));
    mark_seen();
    agent_->read();
    check_budget();
    confirm_truncations();
    if (chance(0.7)) agent_->ctx.complete_all();
  }

  // What discovery's look (inotify's history, a scan) makes the agent responsible for.
  void mark_seen() {
    for (auto& [id, g] : gens_) {
      if (g.matched_in == incarnation_) g.seen = true;
    }
  }

  void confirm_truncations() {
    for (auto& [id, g] : gens_) {
      if (std::exchange(g.truncation_pending, false)) g.truncation_visible = true;
    }
  }

  void check_budget() {
    // Every pin was taken: the units held are the open readers and the history's tokens, exactly.
    CHECK(agent_->tracker.budget().held() ==
          agent_->tracker.open_files() + agent_->discovery->tokens_held());
  }

  Generation& create(const std::string& s) {
    const uint64_t id = next_gen_++;
    Generation& g = gens_[id];
    g.name = s + ".log";
    g.matched_at_birth = true;
    touch_matched(g);
    at_[g.name] = id;
    write_file(path(g.name), "");
    g.ino = ino_of(g.name);
    trace_.push_back("create " + g.name + "=g" + std::to_string(id));
    return g;
  }

  void touch_matched(Generation& g) {
    if (matched(g.name) && agent_) g.matched_in = incarnation_;
  }

  std::string line(uint64_t gen, uint64_t seq) {
    std::string l = "g" + std::to_string(gen) + "-" + std::to_string(seq) + "-";
    l.append(static_cast<size_t>(pick(60)), 'x');
    return l;
  }

  void append(const std::string& s, int n) {
    auto it = at_.find(s + ".log");
    Generation& g = it == at_.end() ? create(s) : gens_[it->second];
    const uint64_t id = at_[s + ".log"];
    std::string data;
    for (int i = 0; i < n; ++i) {
      data += line(id, g.next_seq) + "\n";
      g.on_disk.push_back(g.next_seq++);
    }
    append_file(path(g.name), data);
    touch_matched(g);
    trace_.push_back("append g" + std::to_string(id) + " " + std::to_string(n));
  }

  void unlink_at(const std::string& name) {
    auto it = at_.find(name);
    if (it == at_.end()) return;
    Generation& g = gens_[it->second];
    REQUIRE(::unlink(path(name).c_str()) == 0);
    g.name.clear();
    if (!agent_) g.unlink_unseen = true;  // deleted while no agent ran: nothing saw it go
    trace_.push_back("unlink " + name + "=g" + std::to_string(it->second));
    at_.erase(it);
  }

  void rename_at(const std::string& from, const std::string& to) {
    auto it = at_.find(from);
    if (it == at_.end()) return;
    const uint64_t id = it->second;
    unlink_at(to);  // rename() replaces it: the same as unlinking it first, for the model
    REQUIRE(::rename(path(from).c_str(), path(to).c_str()) == 0);
    at_.erase(from);
    at_[to] = id;
    gens_[id].name = to;
    touch_matched(gens_[id]);
  }

  // logrotate's default: name.(k-1) -> name.k ... name -> name.1, the oldest deleted.
  void shift(const std::string& s) {
    unlink_at(s + ".log." + std::to_string(kKeep));
    for (int k = kKeep - 1; k >= 1; --k) {
      rename_at(s + ".log." + std::to_string(k), s + ".log." + std::to_string(k + 1));
    }
  }

  void rotate(const std::string& s) {
    if (at_.count(s + ".log") == 0) return;
    trace_.push_back("rotate " + s);
    shift(s);
    rename_at(s + ".log", s + ".log.1");
    if (chance(0.5)) create(s);
  }

  void truncate_at(uint64_t id) {
    Generation& g = gens_[id];
    REQUIRE(::truncate(path(g.name).c_str(), 0) == 0);
    collect();
    bool lost = false;
    for (uint64_t s : g.on_disk) {
      if (ever_[id].count(s) == 0) {
        g.truncated.push_back(s);
        lost = true;
      }
    }
    if (lost && agent_ && !emitted_[id].empty()) g.truncation_pending = true;
    if (!agent_) g.truncated_while_down = true;
    g.on_disk.clear();
  }

  // logrotate's copytruncate: the copy is a new file outside the globs, never read.
  void copy_truncate(const std::string& s) {
    auto it = at_.find(s + ".log");
    if (it == at_.end()) return;
    trace_.push_back("copytruncate " + s);
    shift(s);
    const uint64_t copy = next_gen_++;
    Generation& c = gens_[copy];
    c.name = s + ".log.1";
    at_[c.name] = copy;
    std::string bytes;
    {
      FILE* f = ::fopen(path(s + ".log").c_str(), "rb");
      REQUIRE(f != nullptr);
      char buf[4096];
      size_t got = 0;
      while ((got = ::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, got);
      ::fclose(f);
    }
    write_file(path(c.name), bytes);
    c.ino = ino_of(c.name);
    truncate_at(at_[s + ".log"]);
  }

  void truncate(const std::string& s) {
    auto it = at_.find(s + ".log");
    if (it == at_.end()) return;
    trace_.push_back("truncate g" + std::to_string(it->second));
    truncate_at(it->second);
  }

  void remove(const std::string& s) {
    trace_.push_back("remove " + s);
    unlink_at(s + ".log");
  }

  void crash() {
    if (!agent_) return;
    trace_.push_back("crash");
    collect();
    agent_.reset();  // unacknowledged batches and open descriptors die with it
    for (auto& [id, g] : gens_) {
      if (g.name.empty()) g.unlink_unseen = true;
      g.truncation_pending = false;  // the agent may not have looked since
    }
    emitted_.clear();  // a new incarnation may send again what the last one sent
  }

  void start_agent() {
    trace_.push_back("start");
    ++incarnation_;
    agent_ = std::make_unique<Agent>(options_, plugin_, checkpoint_, sys_);
    consumed_ = 0;
    for (auto& [id, g] : gens_) {
      if (g.name.empty()) continue;
      if (matched(g.name)) {  // the start-up scan sees it
        g.matched_in = incarnation_;
        g.seen = true;
      } else if (checkpointed_.count(id) == 0 || g.truncated_while_down) {
        // Rotated out of the globs with no checkpoint naming it, or one naming it by first bytes
        // it no longer has: nothing can tell this agent it was ever a log (a glob that matches
        // the rotated names would).
        g.seen = false;
      }
    }
    check_budget();
  }

  // Takes the lines emitted since the last call into the model.
  void collect() {
    if (!agent_) return;
    std::vector<Line> lines = agent_->ctx.lines();
    for (size_t i = consumed_; i < lines.size(); ++i) {
      const std::string& t = lines[i].text;
      const size_t dash = t.find('-', 1);
      REQUIRE(t[0] == 'g');
      REQUIRE(dash != std::string::npos);
      const uint64_t gen = std::stoull(t.substr(1, dash - 1));
      const uint64_t seq = std::stoull(t.substr(dash + 1, t.find('-', dash + 1) - dash - 1));
      REQUIRE(gens_.count(gen) == 1);
      if (!gens_[gen].matched_at_birth) fail(t + ": a copy outside the globs was read");
      // Within one incarnation: once each, in order per generation.
      if (emitted_[gen].count(seq) != 0) fail(t + ": emitted twice without a crash");
      Order& e = order_[gen];
      if (e.any && e.incarnation == incarnation_ && seq <= e.last_seq) {
        fail(t + ": out of order within its generation, after seq " + std::to_string(e.last_seq));
      }
      e = Order{seq, true, incarnation_};
      emitted_[gen].insert(seq);
      ever_[gen].insert(seq);
    }
    consumed_ = lines.size();
  }

  void check_emitted() { collect(); }

  double loss_counted() const {
    double n = 0;
    for (const char* r : {"deleted", "overwritten", "moved_away"}) {
      n += plugin_.counter("logagent_input_files_lost_total", {{"reason", r}});
    }
    for (const char* r : {"deleted_age_cap", "deleted_pinned_cap"}) {
      n += plugin_.counter("logagent_input_bytes_abandoned_total", {{"reason", r}}) > 0 ? 1 : 0;
    }
    return n;
  }

  void settle_and_check() {
    trace_.push_back("settle");
    settling_ = true;
    sys_.clear_faults();  // the errors are over: what they held back is read now
    for (int i = 0; i < 3; ++i) {
      sys_.advance(std::chrono::seconds(2));  // drain graces end
      agent_->discover(true);
      mark_seen();
      agent_->read();
      check_budget();
    }
    confirm_truncations();
    agent_->ctx.complete_all();
    collect();
    size_t gone_missing = 0;
    size_t truncated_missing = 0;
    std::string problems;
    std::string lost;
    for (const auto& [id, g] : gens_) {
      if (!g.matched_at_birth) continue;
      const std::set<uint64_t>& got = ever_[id];
      size_t missing_on_disk = 0;
      for (uint64_t s : g.on_disk) missing_on_disk += got.count(s) == 0 ? 1 : 0;
      const std::string what = "g" + std::to_string(id) + " at '" + g.name +
                               "': " + std::to_string(missing_on_disk) + " of " +
                               std::to_string(g.on_disk.size()) + " lines on disk not emitted";
      if (!g.name.empty()) {
        // On disk, and the agent could see it: nothing left unread.
        if (g.seen && missing_on_disk > 0) problems += what + "; ";
      } else if (missing_on_disk > 0 && g.seen && !g.unlink_unseen) {
        // Deleted before it was read, while an agent could tell: must be counted. (Deleted while
        // no agent ran, or with a crash since, it is not: nothing saw it go.)
        ++gone_missing;
        lost += what + "; ";
      }
      if (g.truncation_visible) ++truncated_missing;
    }
    if (loss_counted() < static_cast<double>(gone_missing)) {
      problems += "deleted with lines unread, not all counted (" + std::to_string(loss_counted()) +
                  " counted): " + lost;
    }
    // A file kept closed (over max_open_files) that is truncated and renamed out of the globs
    // before it is reopened is, to the agent, a file that changed and is gone: counted as lost,
    // not as truncated. So lost files beyond the deleted ones count for truncations.
    const double spare = std::max(0.0, loss_counted() - static_cast<double>(gone_missing));
    if (plugin_.counter("logagent_input_truncations_total") + spare <
        static_cast<double>(truncated_missing)) {
      problems += "truncated with lines unread, not counted; ";
    }
    settling_ = false;
    fail(problems);
  }

  void fail(const std::string& problems) {
    if (problems.empty()) return;
    failed_ = true;
    FAIL_CHECK(problems << "\ntrace: " << trace());
  }

  TempDir dir_;
  FakeTailSys sys_;  // before agent_: the agent's descriptors are closed through it
  std::mt19937_64 rng_;
  TailOptions options_;
  bool timed_ = false;
  bool read_faults_ = false;
  bool open_faults_ = false;
  bool in_race_ = false;
  bool settling_ = false;
  Plugin plugin_;
  std::unique_ptr<Agent> agent_;
  std::vector<CheckpointEntry> checkpoint_;
  std::set<uint64_t> checkpointed_;  // generations checkpoint_ names
  int incarnation_ = 0;
  size_t consumed_ = 0;
  uint64_t next_gen_ = 0;
  std::map<uint64_t, Generation> gens_;
  std::map<std::string, uint64_t> at_;  // name -> generation
  struct Order {
    uint64_t last_seq = 0;
    bool any = false;
    int incarnation = 0;
  };
  std::map<uint64_t, Order> order_;
  std::map<uint64_t, std::set<uint64_t>> emitted_;  // this incarnation
  std::map<uint64_t, std::set<uint64_t>> ever_;
  std::vector<std::string> trace_;
  bool failed_ = false;
};

}  // namespace

namespace {

// Runs the seeds LOGAGENT_MODEL_SEED.. (LOGAGENT_MODEL_SEEDS of them, default 40) as `variant`
// ("plain", "timed", "read", "open", or "timed+read"), or as LOGAGENT_MODEL_VARIANT says; every
// third seed with max_open_files 2 when `small_budget`.
void run_seeds(std::string variant, bool small_budget) {
  const char* seeds_env = ::getenv("LOGAGENT_MODEL_SEEDS");
  const char* first_env = ::getenv("LOGAGENT_MODEL_SEED");
  const char* variant_env = ::getenv("LOGAGENT_MODEL_VARIANT");
  const char* ops_env = ::getenv("LOGAGENT_MODEL_OPS");
  const uint64_t seeds = seeds_env != nullptr ? std::stoull(seeds_env) : 40;
  const uint64_t first = first_env != nullptr ? std::stoull(first_env) : 1;
  if (variant_env != nullptr) variant = variant_env;
  const bool timed = variant.find("timed") != std::string::npos;
  const bool read_faults = variant.find("read") != std::string::npos;
  const bool open_faults = variant.find("open") != std::string::npos;
  const bool races = variant.find("race") != std::string::npos;
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    const uint32_t max_open = small_budget && seed % 3 == 0 ? 2 : 1024;
    CAPTURE(seed);
    CAPTURE(max_open);
    CAPTURE(variant);
    Model model(seed, max_open, timed, read_faults, open_faults, races);
    model.run(ops_env != nullptr ? std::stoi(ops_env) : 300);
  }
}

}  // namespace

// LOGAGENT_MODEL_SEEDS=N widens the search (N seeds from LOGAGENT_MODEL_SEED, default 1).
TEST_CASE("model: random file operations, stalls and crashes lose nothing uncounted") {
  run_seeds("plain", /*small_budget=*/true);
}

// Another process changes the directory inside the agent's opens (FakeTailSys::set_before_open):
// between discovery reading an event and opening the name it read, and between a scan listing a
// name and opening it. Found, with it: a file opened under a listed name that held a newer file
// by then was taken for one that had left the globs (drained, then closed while still written:
// its later lines lost), and a file opened under a rotated name that held another file by then
// (a copytruncate copy) was read. Not with max_open_files 2: the known limit below.
TEST_CASE("model: other processes rotate, create and delete while the agent opens names") {
  run_seeds("timed+read+race", /*small_budget=*/false);
}

// Known limit, so not with max_open_files 2 here: a file created and renamed out of the globs
// before discovery's next step, while the budget is spent, is missed (the rename history pins it
// only when it was opened under its first name); the injected faults change the sequences enough
// to reach it (LOGAGENT_MODEL_VARIANT=read, seeds 30, 45 and 60 with max_open_files 2). Opens
// failing (variant "open") find more of the kind.
TEST_CASE("model: with drains and idle closes timed by the clock, and failing reads, too") {
  run_seeds("timed+read", /*small_budget=*/false);
}

}  // namespace logagent::plugins::tail
