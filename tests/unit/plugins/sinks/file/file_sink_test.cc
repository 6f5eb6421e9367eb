#include "plugins/sinks/file/file_sink.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <csignal>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/metrics/metrics_registry.h"
#include "agent/pipeline/encode_stage.h"

using namespace logagent;
using namespace logagent::plugins::file_sink;
namespace fs = std::filesystem;

namespace {

struct Env {
  Env() {
    static int n = 0;
    dir = fs::temp_directory_path() /
          ("logagent-file-sink-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(dir);
    ctx.pipeline = "p";
    ctx.metrics = MetricsScope(registry, {{"pipeline", "p"}, {"sink", "file"}});
  }
  ~Env() { fs::remove_all(dir); }
  std::shared_ptr<MetricsRegistry> registry = std::make_shared<MetricsRegistry>();
  fs::path dir;
  PluginContext ctx;
};

struct Done final : BatchCompletion {
  void sink_done(Batch*, SinkOutcome outcome, std::string_view why) override {
    (outcome == SinkOutcome::kDelivered ? oks : fails)++;
    last = outcome;
    last_why = why;
  }
  int oks = 0;
  int fails = 0;
  SinkOutcome last = SinkOutcome::kDelivered;
  std::string last_why;
};

struct Lines {
  Lines(int first, int count) {
    for (int i = first; i < first + count; ++i) lines.push_back("event " + std::to_string(i));
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

std::string unzstd(const std::string& in) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  std::string out;
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  size_t last = 0;
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
    last = ZSTD_decompressStream(d, &ob, &ib);
    REQUIRE_FALSE(ZSTD_isError(last));
    out.append(buf.data(), ob.pos);
  }
  CHECK(last == 0);  // ends at a frame boundary: nothing truncated
  ZSTD_freeDCtx(d);
  return out;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("file sink: rolled names keep the extensions and sort in write order") {
  CHECK(rolled_name("/o/app.ndjson.zst", "20261127T040512Z", 0) ==
        "/o/app-20261127T040512Z-000.ndjson.zst");
  CHECK(rolled_name("/o/app", "S", 12) == "/o/app-S-012");
  CHECK(rolled_name("/o.d/.hidden.log", "S", 1) == "/o.d/.hidden-S-001.log");
  CHECK(rolled_name("app.log", "S", 0) == "app-S-000.log");
  CHECK(rolled_name("/o/app.log", "S", 2) < rolled_name("/o/app.log", "S", 10));
}

TEST_CASE(
    "file sink: zstd output is one frame per batch, a valid stream; with or without the "
    "encode step") {
  Env env;
  FileOptions o;
  o.path = (env.dir / "out.ndjson.zst").string();
  o.format = EventFormat::kRaw;
  o.compression = Compression::kZstd;
  o.compression_level = 1;
  auto sink = FileSink::create(o, env.ctx);
  REQUIRE(sink.is_ok());
  REQUIRE(sink.value()->encoding().has_value());
  EncodeStage encode({*sink.value()->encoding()}, env.ctx.metrics);
  Done done;
  std::string want;
  for (int b = 0; b < 6; ++b) {
    Lines l(b * 100, 100);
    if (b % 2 == 0) encode.process(l.batch);  // odd batches: the sink compresses itself
    for (const auto& s : l.lines) want += s + "\n";
    sink.value()->write(l.batch, SinkAck(&done, &l.batch));
  }
  CHECK(done.oks == 6);
  CHECK(unzstd(slurp(o.path)) == want);
}

TEST_CASE("file sink: rolling by size keeps every event exactly once, in order") {
  Env env;
  FileOptions o;
  o.path = (env.dir / "app.log").string();
  o.roll_size = ByteSize{1024};
  auto made = RollingFileSink::open(o, env.ctx);
  REQUIRE(made.is_ok());
  auto& sink = *made.value();
  Done done;
  std::string want;
  for (int b = 0; b < 40; ++b) {
    Lines l(b * 20, 20);  // ~220 bytes a batch
    for (const auto& s : l.lines) want += s + "\n";
    sink.write(l.batch, SinkAck(&done, &l.batch));
  }
  CHECK(done.oks == 40);
  const auto files = files_in(env.dir);
  REQUIRE(files.size() >= 3);
  CHECK(files.back() == fs::path(o.path));  // the live file sorts last ("app.log" > "app-...")
  std::string got;
  for (const auto& f : files) {
    if (f != fs::path(o.path)) {
      CHECK(fs::file_size(f) <= 1024);
      got += slurp(f);
    }
  }
  got += slurp(o.path);
  CHECK(got == want);
  CHECK(env.ctx.metrics.counter("logagent_file_sink_rolls_total", "").value() ==
        static_cast<double>(files.size() - 1));
}

TEST_CASE("file sink: rolled zstd files decode on their own") {
  Env env;
  FileOptions o;
  o.path = (env.dir / "z" / "app.zst").string();
  o.compression = Compression::kZstd;
  auto made = RollingFileSink::open(o, env.ctx);
  REQUIRE(made.is_ok());
  auto& sink = *made.value();
  Done done;
  Lines a(0, 50);
  sink.write(a.batch, SinkAck(&done, &a.batch));
  sink.roll_now();
  Lines b(50, 50);
  sink.write(b.batch, SinkAck(&done, &b.batch));
  auto files = files_in(env.dir / "z");
  REQUIRE(files.size() == 2);
  std::string want_a, want_b;
  for (const auto& s : a.lines) want_a += s + "\n";
  for (const auto& s : b.lines) want_b += s + "\n";
  CHECK(unzstd(slurp(files[0])) == want_a);
  CHECK(unzstd(slurp(o.path)) == want_b);

  CHECK(done.fails == 0);
}

TEST_CASE("file sink: options are checked when the configuration is validated") {
  auto bind = [](const std::string& yaml) {
    FileOptions o;
    Diagnostics diag;
    auto node = ConfigNode::parse(yaml, std::make_shared<const ConfigFile>(ConfigFile{"f.yaml"}),
                                  diag, "sinks[0]");
    REQUIRE(node.has_value());
    FileOptions::schema().bind(*node, o, diag, {"type"});
    return diag.errors();
  };
  CHECK(bind("path: /o/a.zst\ncompression: zstd\nroll_size: 64MiB\nroll_interval: 1h\n").empty());
  CHECK(bind("path: a\ncompression: zstd\ncompression_level: 0\n").size() == 1);
  CHECK(bind("path: a\ncompression: gzip\n").size() == 1);
  CHECK(bind("path: a\nroll_size: lots\n").size() == 1);
}

TEST_CASE("file sink: never follows a symbolic link at its path") {
  Env env;
  fs::create_directories(env.dir);
  const fs::path victim = env.dir / "victim";
  { std::ofstream(victim) << "precious\n"; }
  fs::create_symlink(victim, env.dir / "out.log");
  FileOptions o;
  o.path = (env.dir / "out.log").string();
  auto sink = FileSink::create(o, env.ctx);
  REQUIRE_FALSE(sink.is_ok());
  CHECK(sink.message().find("symbolic link") != std::string::npos);
  CHECK(slurp(victim) == "precious\n");
}

TEST_CASE("file sink: a deleted output is noticed, reopened, and the batch written again") {
  Env env;
  FileOptions o;
  o.path = (env.dir / "out.log").string();
  auto sink = FileSink::create(o, env.ctx);
  REQUIRE(sink.is_ok());
  Done done;
  Lines a(0, 10), b(10, 10), c(20, 10);
  sink.value()->write(a.batch, SinkAck(&done, &a.batch));
  CHECK(done.oks == 1);
  fs::remove(o.path);
  // Written to the deleted inode: not delivered, and nothing is left behind in a file nobody reads.
  sink.value()->write(b.batch, SinkAck(&done, &b.batch));
  CHECK(done.last == SinkOutcome::kRetry);
  CHECK(done.last_why.find("was deleted") != std::string::npos);
  sink.value()->write(b.batch, SinkAck(&done, &b.batch));  // the pipeline's retry
  sink.value()->write(c.batch, SinkAck(&done, &c.batch));
  CHECK(done.oks == 3);
  std::string want;
  for (int i = 10; i < 30; ++i) want += "event " + std::to_string(i) + "\n";
  CHECK(slurp(o.path) == want);
}

TEST_CASE("file sink: an output renamed away keeps its batch; the next goes to a new file") {
  Env env;
  FileOptions o;
  o.path = (env.dir / "out.log").string();
  auto sink = FileSink::create(o, env.ctx);
  REQUIRE(sink.is_ok());
  Done done;
  Lines a(0, 5), b(5, 5), c(10, 5);
  sink.value()->write(a.batch, SinkAck(&done, &a.batch));
  fs::rename(o.path, o.path + ".1");
  sink.value()->write(b.batch, SinkAck(&done, &b.batch));
  sink.value()->write(c.batch, SinkAck(&done, &c.batch));
  CHECK(done.oks == 3);
  CHECK(done.fails == 0);
  std::string first, second;
  for (int i = 0; i < 10; ++i) first += "event " + std::to_string(i) + "\n";
  for (int i = 10; i < 15; ++i) second += "event " + std::to_string(i) + "\n";
  CHECK(slurp(o.path + ".1") == first);
  CHECK(slurp(o.path) == second);
}

TEST_CASE("file sink: a FIFO without a reader never blocks; EPIPE is retried after a reopen") {
  Env env;
  fs::create_directories(env.dir);
  const std::string fifo = (env.dir / "out.fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  ::signal(SIGPIPE, SIG_IGN);  // as the agent does: EPIPE, not a signal
  FileOptions o;
  o.path = fifo;
  auto sink = FileSink::create(o, env.ctx);  // returns at once: no reader yet
  REQUIRE(sink.is_ok());
  CHECK(sink.value()->not_ready().find("no reader") != std::string::npos);
  Done done;
  Lines a(0, 3), b(3, 3);
  sink.value()->write(a.batch, SinkAck(&done, &a.batch));
  CHECK(done.last == SinkOutcome::kRetry);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  sink.value()->write(a.batch, SinkAck(&done, &a.batch));
  CHECK(done.last == SinkOutcome::kDelivered);
  CHECK(sink.value()->not_ready().empty());
  char buf[256];
  const ssize_t n = ::read(reader, buf, sizeof(buf));
  CHECK(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0) == "event 0\nevent 1\nevent 2\n");
  ::close(reader);  // the reader died
  sink.value()->write(b.batch, SinkAck(&done, &b.batch));
  CHECK(done.last == SinkOutcome::kRetry);  // EPIPE: reopened next time, never a frozen batch
  CHECK(done.last_why.find("Broken pipe") != std::string::npos);
  sink.value()->write(b.batch, SinkAck(&done, &b.batch));
  CHECK(done.last == SinkOutcome::kRetry);  // still no reader (ENXIO)
  CHECK(done.oks == 1);
}

TEST_CASE("file sink: a full device answers retry, never a silent success") {
  Env env;
  FileOptions o;
  o.path = "/dev/full";
  auto sink = FileSink::create(o, env.ctx);
  REQUIRE(sink.is_ok());
  Done done;
  Lines a(0, 3);
  sink.value()->write(a.batch, SinkAck(&done, &a.batch));
  CHECK(done.last == SinkOutcome::kRetry);
  CHECK(done.last_why.find("No space left") != std::string::npos);
}

TEST_CASE("file sink: writes() names the output and the pattern of its rolled files") {
  FileOptions o;
  o.path = "/o/./x/app.ndjson";
  CHECK(FileSink::writes(o) == std::vector<std::string>{"/o/x/app.ndjson"});
  o.roll_size = ByteSize{1024};
  const auto w = FileSink::writes(o);
  REQUIRE(w.size() == 2);
  const std::string rolled = rolled_name("/o/x/app.ndjson", "20261127T040512Z", 7);
  CHECK(::fnmatch(w[1].c_str(), rolled.c_str(), 0) == 0);
  CHECK(::fnmatch(w[1].c_str(), "/o/x/app.ndjson", 0) != 0);
}

TEST_CASE("file sink: a record torn by a crash is cut at start, never continued") {
  Env env;
  fs::create_directories(env.dir);
  FileOptions o;
  o.path = (env.dir / "out.log").string();
  Done done;
  Lines a(0, 3);
  SUBCASE("a partial record after whole ones") {
    { std::ofstream(o.path, std::ios::binary) << "old 1\nold 2\nold 3 (tor"; }
    auto sink = FileSink::create(o, env.ctx);
    REQUIRE(sink.is_ok());
    CHECK(slurp(o.path) == "old 1\nold 2\n");
    sink.value()->write(a.batch, SinkAck(&done, &a.batch));
    CHECK(slurp(o.path) == "old 1\nold 2\nevent 0\nevent 1\nevent 2\n");
  }
  SUBCASE("a partial first record, longer than one read block") {
    { std::ofstream(o.path, std::ios::binary) << std::string(200'000, 'x'); }
    auto sink = FileSink::create(o, env.ctx);
    REQUIRE(sink.is_ok());
    CHECK(fs::file_size(o.path) == 0);
  }
  SUBCASE("the newline just before a read block boundary") {
    const std::string whole = std::string(100'000, 'y') + "\n";
    { std::ofstream(o.path, std::ios::binary) << whole << std::string(64 * 1024, 'z'); }
    auto sink = FileSink::create(o, env.ctx);
    REQUIRE(sink.is_ok());
    CHECK(slurp(o.path) == whole);
  }
  SUBCASE("a whole file is left as it is, and nothing stays open") {
    { std::ofstream(o.path, std::ios::binary) << "old 1\nold 2\n"; }
    auto open_fds = [] {
      return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
    };
    const auto before = open_fds();
    {
      auto sink = FileSink::create(o, env.ctx);
      REQUIRE(sink.is_ok());
      CHECK(slurp(o.path) == "old 1\nold 2\n");
    }
    CHECK(open_fds() == before);
  }
  SUBCASE("compressed output is not cut (a frame is not a line)") {
    o.compression = Compression::kZstd;
    { std::ofstream(o.path, std::ios::binary) << "not\na frame"; }
    auto sink = FileSink::create(o, env.ctx);
    REQUIRE(sink.is_ok());
    CHECK(slurp(o.path) == "not\na frame");
  }
}
