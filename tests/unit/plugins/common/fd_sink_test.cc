#include "plugins/common/fd_sink.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/metrics/metrics_registry.h"

using namespace logagent;
namespace fs = std::filesystem;

namespace {

struct Env {
  Env() {
    static int n = 0;
    dir = fs::temp_directory_path() /
          ("logagent-fd-sink-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(dir);
    fs::create_directories(dir);
    ctx.pipeline = "p";
    ctx.metrics = MetricsScope(registry, {{"pipeline", "p"}, {"sink", "fd"}});
    ctx.abort = abort.get_token();
    std::signal(SIGPIPE, SIG_IGN);  // EPIPE instead of a signal, as the agent sets it
  }
  ~Env() { fs::remove_all(dir); }
  double write_errors() const {
    return ctx.metrics.counter("logagent_sink_write_errors_total", "").value();
  }
  std::shared_ptr<MetricsRegistry> registry = std::make_shared<MetricsRegistry>();
  fs::path dir;
  std::stop_source abort;
  PluginContext ctx;
};

struct Done final : BatchCompletion {
  void sink_done(Batch*, SinkOutcome o, std::string_view w) override {
    ++answers;
    outcome = o;
    why = w;
  }
  int answers = 0;
  SinkOutcome outcome = SinkOutcome::kDelivered;
  std::string why;
};

struct Lines {
  explicit Lines(std::vector<std::string> l) : lines(std::move(l)) {
    uint64_t offset = 0;
    for (const auto& s : lines) {
      batch.events.push_back(Event{s, offset, 0, 0});
      offset += s.size() + 1;
    }
    batch.end = offset;
  }
  std::vector<std::string> lines;
  Batch batch;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int open_out(const fs::path& p) {
  return ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

// Done after one write of `lines` to `sink`.
Done write_once(FdSink& sink, Lines& lines) {
  Done done;
  sink.write(lines.batch, SinkAck(&done, &lines.batch));
  REQUIRE(done.answers == 1);
  return done;
}

// A sink whose output can be opened again (like the file sink), failing to while `fail_reopen`.
class ReopeningSink final : public FdSink {
 public:
  ReopeningSink(fs::path path, const PluginContext& ctx, int fd = -1)
      : FdSink(fd, true, "reopening", EncodeSpec{}, false, ctx), path_(std::move(path)) {
    if (fd < 0) set_not_ready("not opened yet");
  }
  bool fail_reopen = false;
  int reopens = 0;

 protected:
  bool reopen(std::string& why) override {
    ++reopens;
    if (fail_reopen) {
      why = "reopening: cannot open for now";
      return false;
    }
    fd_ = open_out(path_);
    return fd_ >= 0;
  }
  bool can_reopen() const override { return true; }

 private:
  fs::path path_;
};

// Restores RLIMIT_FSIZE (and SIGXFSZ) when the test ends, however it ends.
struct FileSizeLimit {
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved);
    old_handler = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
    rlimit lower = saved;
    lower.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lower);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
  }
  rlimit saved{};
  void (*old_handler)(int) = nullptr;
};

}  // namespace

TEST_CASE("fd sink: raw lines are written with a newline each, dropped events skipped") {
  Env env;
  const fs::path out = env.dir / "out.log";
  FdSink sink(open_out(out), true, "out", EncodeSpec{}, false, env.ctx);
  CHECK_FALSE(sink.encoding().has_value());  // raw needs no encode step
  Lines l({"first", "dropped", "third"});
  l.batch.events[1].flags |= kEventDropped;
  const Done done = write_once(sink, l);
  CHECK(done.outcome == SinkOutcome::kDelivered);
  CHECK(slurp(out) == "first\nthird\n");
  CHECK(env.write_errors() == 0);
}

TEST_CASE("fd sink: a batch with no live event is delivered without a write") {
  Env env;
  FdSink sink(-1, false, "nowhere", EncodeSpec{}, false, env.ctx);  // a write would fail
  Lines l({"only"});
  l.batch.events[0].flags |= kEventDropped;
  CHECK(write_once(sink, l).outcome == SinkOutcome::kDelivered);
}

TEST_CASE("fd sink: json and zstd ask for the encode step, and encode themselves without it") {
  Env env;
  const fs::path out = env.dir / "out.zst";
  const EncodeSpec spec{EventFormat::kRaw, Compression::kZstd, 3};
  FdSink sink(open_out(out), true, "out", spec, false, env.ctx);
  REQUIRE(sink.encoding().has_value());
  CHECK(*sink.encoding() == spec);
  Lines l({"a", "b"});  // no payload in the batch: the sink compresses it itself
  CHECK(write_once(sink, l).outcome == SinkOutcome::kDelivered);
  const std::string packed = slurp(out);
  std::string plain(16, '\0');
  const size_t n = ZSTD_decompress(plain.data(), plain.size(), packed.data(), packed.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  plain.resize(n);
  CHECK(plain == "a\nb\n");
}

TEST_CASE("fd sink: a pipe whose reader left rejects the batch when it cannot be reopened") {
  Env env;
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  ::close(p[0]);
  FdSink sink(p[1], true, "pipe", EncodeSpec{}, false, env.ctx);
  Lines l({"x"});
  const Done done = write_once(sink, l);
  CHECK(done.outcome == SinkOutcome::kRejected);
  CHECK(done.why.find("pipe: write: ") == 0);
  CHECK(done.why.find("(cannot be reopened)") != std::string::npos);
  CHECK(env.write_errors() == 1);
}

TEST_CASE("fd sink: a full pipe does not block past the shutdown deadline") {
  Env env;
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
  const std::string block(4096, 'z');
  while (::write(p[1], block.data(), block.size()) > 0) {
  }
  REQUIRE(errno == EAGAIN);
  FdSink sink(p[1], true, "fifo", EncodeSpec{}, false, env.ctx);
  env.abort.request_stop();
  Lines l({"waits"});
  const Done done = write_once(sink, l);
  CHECK(done.outcome == SinkOutcome::kRetry);
  CHECK(env.write_errors() == 1);
  ::close(p[0]);
}

TEST_CASE("fd sink: a failed write is cut off, so the batch written again is whole and once") {
  Env env;
  const fs::path out = env.dir / "out.log";
  FdSink sink(open_out(out), true, "out", EncodeSpec{}, false, env.ctx);
  Lines first({"one"});
  REQUIRE(write_once(sink, first).outcome == SinkOutcome::kDelivered);
  Lines big({std::string(3000, 'b'), std::string(3000, 'c')});
  {
    FileSizeLimit limit(4096);  // the write stops part way with EFBIG
    const Done done = write_once(sink, big);
    CHECK(done.outcome == SinkOutcome::kRetry);
    CHECK(done.why.find("out: write: ") == 0);
  }
  CHECK(slurp(out) == "one\n");  // the part written was removed
  CHECK(env.write_errors() == 1);
  CHECK(write_once(sink, big).outcome == SinkOutcome::kDelivered);
  CHECK(slurp(out) == "one\n" + big.lines[0] + "\n" + big.lines[1] + "\n");
}

TEST_CASE("fd sink: an output that cannot be opened for now answers retry and says why") {
  Env env;
  ReopeningSink sink(env.dir / "later.log", env.ctx);
  CHECK(sink.not_ready() == "not opened yet");
  sink.fail_reopen = true;
  Lines l({"wait for me"});
  Done done = write_once(sink, l);
  CHECK(done.outcome == SinkOutcome::kRetry);
  CHECK(sink.not_ready() == "reopening: cannot open for now");
  sink.fail_reopen = false;
  done = write_once(sink, l);
  CHECK(done.outcome == SinkOutcome::kDelivered);
  CHECK(sink.not_ready().empty());
  CHECK(sink.reopens == 2);
  CHECK(slurp(env.dir / "later.log") == "wait for me\n");
}

TEST_CASE("fd sink: a reopenable output whose descriptor broke is opened again") {
  Env env;
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  ::close(p[0]);  // the FIFO's reader left: EPIPE
  ReopeningSink sink(env.dir / "again.log", env.ctx, p[1]);
  Lines l({"first try"});
  Done done = write_once(sink, l);
  CHECK(done.outcome == SinkOutcome::kRetry);  // not rejected: it can be reopened
  CHECK(sink.reopens == 0);
  done = write_once(sink, l);
  CHECK(done.outcome == SinkOutcome::kDelivered);
  CHECK(sink.reopens == 1);
  CHECK(slurp(env.dir / "again.log") == "first try\n");
  CHECK(sink.flush(std::chrono::steady_clock::now()).is_ok());
}
