// kafka_ceiling: a plain librdkafka producer that pushes the lines of a directory of .log files to
// a topic and waits for every delivery report -- the ceiling the kafka sink is measured against.
//
//   kafka_ceiling --brokers HOST:PORT --topic T --dir DIR [--mode lines|blocks]
//                 [--block-bytes 262144] [--chunk-bytes 4194304] [--partitions 1]
//                 [--transactional [--txn-interval-ms 1000]] [--set key=value]...
//
// Same librdkafka settings as the kafka sink's defaults (plugins/sinks/kafka/kafka_options.cc):
// acks=all, enable.idempotence, compression zstd, linger.ms 5, batch.size 1 MiB, batch.num.messages
// 10000, a 32 MiB / 100k message queue, no message timeout. --set overrides any of them.
//
// mode lines: one message per line (without its newline), like `mode: record` with `format:
//   raw`. The files are read with read(2) into 4 MiB chunks (--chunk-bytes) cut at the last
//   newline, each produced with one rd_kafka_produce_batch call; messages
//   point into their chunk (no copy) and a chunk is freed when its last message is reported, so
//   memory stays bounded like the agent's buffer pool.
// mode blocks: one message per ~block-bytes of whole lines (newline-delimited), compressed by
//   librdkafka (zstd) -- a reference for the sink's `mode: batch`, where logagent compresses.
// Messages of file i go to partition i % partitions.
// --transactional: a plain transactional producer (transactional.id kafka_ceiling-<topic>):
//   init_transactions, begin_transaction, produce, and every --txn-interval-ms (checked after
//   each chunk) commit_transaction and begin the next; the last one is committed at the end --
//   the ceiling for `delivery: exactly_once` (which also commits every transaction_interval, 1 s
//   by default). "transactions" in the JSON counts the commits.
//
// Prints a human line on stderr and one JSON object on stdout:
//   {"mode":..,"files":..,"bytes":..,"messages":..,"wall_s":..,"mib_s":..,"cpu_user_s":..,
//    "cpu_sys_s":..,"cpu_s_per_gib":..,"peak_rss_mib":..,"transactions":..}
// wall_s runs from the first produce call to the last delivery report (--transactional: to the end
// of the last commit); CPU and peak RSS are the
// whole process's (getrusage RUSAGE_SELF). Exits 1 if any message failed.
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

struct Options {
  std::string brokers;
  std::string topic;
  std::string dir;
  std::string mode = "lines";
  size_t block_bytes = 256 * 1024;
  size_t chunk_bytes = 4u << 20;  // lines mode: read size (one produce_batch call per chunk)
  int partitions = 1;
  bool transactional = false;
  int txn_interval_ms = 1000;
  std::vector<std::pair<std::string, std::string>> settings;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "kafka_ceiling: %s\n"
               "usage: kafka_ceiling --brokers HOST:PORT --topic T --dir DIR "
               "[--mode lines|blocks] [--block-bytes N] [--chunk-bytes N] [--partitions N] "
               "[--transactional [--txn-interval-ms N]] [--set key=value]...\n",
               msg);
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--brokers") {
      o.brokers = value();
    } else if (a == "--topic") {
      o.topic = value();
    } else if (a == "--dir") {
      o.dir = value();
    } else if (a == "--mode") {
      o.mode = value();
    } else if (a == "--block-bytes") {
      o.block_bytes = std::stoul(value());
    } else if (a == "--chunk-bytes") {
      o.chunk_bytes = std::stoul(value());
    } else if (a == "--partitions") {
      o.partitions = std::stoi(value());
    } else if (a == "--transactional") {
      o.transactional = true;
    } else if (a == "--txn-interval-ms") {
      o.txn_interval_ms = std::stoi(value());
    } else if (a == "--set") {
      const std::string kv = value();
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) usage("--set needs key=value");
      o.settings.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "-h" || a == "--help") {
      usage("help");
    } else {
      usage("unknown argument");
    }
  }
  if (o.brokers.empty() || o.topic.empty() || o.dir.empty()) usage("--brokers, --topic, --dir");
  if (o.mode != "lines" && o.mode != "blocks") usage("--mode lines|blocks");
  if (o.partitions < 1 || o.block_bytes < 1024 || o.chunk_bytes < 1024 || o.txn_interval_ms < 1) {
    usage("bad --partitions, --block-bytes, --chunk-bytes or --txn-interval-ms");
  }
  return o;
}

// A buffer of whole lines; freed when its last message has been reported.
struct Chunk {
  std::vector<char> data;
  std::atomic<uint32_t> refs{1};  // messages + the producer's guard
};

void unref(Chunk* c) {
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete c;
}

std::atomic<uint64_t> g_delivered{0}, g_failed{0};
std::atomic<int64_t> g_last_report_ns{0};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void dr_cb(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (g_failed.fetch_add(1) < 5) {
      std::fprintf(stderr, "kafka_ceiling: delivery failed: %s\n", rd_kafka_err2str(m->err));
    }
  } else {
    g_delivered.fetch_add(1, std::memory_order_relaxed);
  }
  g_last_report_ns.store(now_ns(), std::memory_order_relaxed);
  unref(static_cast<Chunk*>(m->_private));
}

void set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka_ceiling: %s=%s: %s\n", k.c_str(), v.c_str(), err);
    std::exit(2);
  }
}

// Exits with the error's text when `e` is set (a transaction call failed).
void check(const char* what, rd_kafka_error_t* e) {
  if (e == nullptr) return;
  std::fprintf(stderr, "kafka_ceiling: %s: %s\n", what, rd_kafka_error_string(e));
  rd_kafka_error_destroy(e);
  std::exit(1);
}

// --transactional: commits the open transaction (which flushes it) and begins the next.
class Transactions {
 public:
  Transactions(rd_kafka_t* rk, bool on, int interval_ms)
      : rk_(rk), on_(on), interval_ns_(int64_t{interval_ms} * 1'000'000) {
    if (!on_) return;
    check("init_transactions", rd_kafka_init_transactions(rk_, 60'000));
    begin();
  }
  // Commits when the interval is over (last: in any case, and no new transaction).
  void maybe_commit(bool last) {
    if (!on_ || (!last && now_ns() < next_ns_)) return;
    check("commit_transaction", rd_kafka_commit_transaction(rk_, -1));
    ++commits_;
    if (!last) begin();
  }
  uint64_t commits() const { return commits_; }

 private:
  void begin() {
    check("begin_transaction", rd_kafka_begin_transaction(rk_));
    next_ns_ = now_ns() + interval_ns_;
  }
  rd_kafka_t* rk_;
  bool on_;
  int64_t interval_ns_;
  int64_t next_ns_ = 0;
  uint64_t commits_ = 0;
};

class Producer {
 public:
  Producer(rd_kafka_t* rk, rd_kafka_topic_t* rkt) : rk_(rk), rkt_(rkt) {}

  // Produces msgs (all pointing into `chunk`, which holds one ref per message already).
  void produce(int32_t partition, std::vector<rd_kafka_message_t>& msgs) {
    size_t i = 0;
    while (i < msgs.size()) {
      const int n = static_cast<int>(msgs.size() - i);
      rd_kafka_produce_batch(rkt_, partition, 0, &msgs[i], n);
      size_t stop = msgs.size();
      for (size_t j = i; j < msgs.size(); ++j) {
        if (msgs[j].err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          stop = j;
          break;
        }
        if (msgs[j].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          std::fprintf(stderr, "kafka_ceiling: produce failed: %s\n",
                       rd_kafka_err2str(msgs[j].err));
          std::exit(1);
        }
      }
      produced_ += stop - i;
      i = stop;
      if (i < msgs.size()) {
        for (size_t j = i; j < msgs.size(); ++j) msgs[j].err = RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_poll(rk_, 5);  // queue full: serve delivery reports until there is room
      } else {
        rd_kafka_poll(rk_, 0);
      }
    }
  }
  uint64_t produced() const { return produced_; }

 private:
  rd_kafka_t* rk_;
  rd_kafka_topic_t* rkt_;
  uint64_t produced_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  std::vector<std::string> files;
  for (const auto& ent : std::filesystem::directory_iterator(o.dir)) {
    if (ent.is_regular_file() && ent.path().extension() == ".log") files.push_back(ent.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) usage("no .log files in --dir");

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"bootstrap.servers", o.brokers},
      {"compression.codec", "zstd"},
      {"acks", "-1"},
      {"enable.idempotence", "true"},
      {"linger.ms", "5"},
      {"batch.size", std::to_string(1 << 20)},
      {"batch.num.messages", "10000"},
      {"queue.buffering.max.kbytes", std::to_string(32 * 1024)},
      {"queue.buffering.max.messages", "100000"},
      {"message.timeout.ms", "0"},
      {"reconnect.backoff.max.ms", "1000"},
  };
  for (const auto& [k, v] : defaults) set(conf, k, v);
  if (o.transactional) set(conf, "transactional.id", "kafka_ceiling-" + o.topic);
  for (const auto& [k, v] : o.settings) set(conf, k, v);
  rd_kafka_conf_set_dr_msg_cb(conf, &dr_cb);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "kafka_ceiling: rd_kafka_new: %s\n", err);
    return 2;
  }
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  Producer producer(rk, rkt);
  Transactions txn(rk, o.transactional, o.txn_interval_ms);

  const bool blocks = o.mode == "blocks";
  const size_t chunk_bytes = blocks ? o.block_bytes : o.chunk_bytes;
  uint64_t total_bytes = 0;
  std::vector<rd_kafka_message_t> msgs;
  std::string carry;  // a partial line left over from the previous read
  const int64_t t0 = now_ns();

  for (size_t fi = 0; fi < files.size(); ++fi) {
    const int fd = ::open(files[fi].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::perror(files[fi].c_str());
      return 2;
    }
    const auto partition = static_cast<int32_t>(fi % static_cast<size_t>(o.partitions));
    carry.clear();
    bool eof = false;
    while (!eof) {
      auto* c = new Chunk;
      c->data.resize(std::max(chunk_bytes, carry.size() + 4096));
      std::memcpy(c->data.data(), carry.data(), carry.size());
      size_t have = carry.size();
      carry.clear();
      while (have < c->data.size()) {
        const ssize_t n = ::read(fd, c->data.data() + have, c->data.size() - have);
        if (n < 0) {
          std::perror("read");
          return 2;
        }
        if (n == 0) {
          eof = true;
          break;
        }
        have += static_cast<size_t>(n);
      }
      // Whole lines only; the rest moves to the next chunk (at EOF a last unterminated line
      // is sent as it is).
      size_t end = have;
      if (!eof) {
        const void* nl = ::memrchr(c->data.data(), '\n', have);
        if (nl == nullptr) {  // a line longer than the chunk: grow and read on
          carry.assign(c->data.data(), have);
          delete c;
          continue;
        }
        end = static_cast<size_t>(static_cast<const char*>(nl) - c->data.data()) + 1;
        carry.assign(c->data.data() + end, have - end);
      }
      total_bytes += end;
      msgs.clear();
      char* base = c->data.data();
      if (blocks) {
        if (end > 0) {
          rd_kafka_message_t m{};
          m.payload = base;
          m.len = end;
          m._private = c;
          msgs.push_back(m);
        }
      } else {
        size_t pos = 0;
        while (pos < end) {
          const auto* nl = static_cast<const char*>(std::memchr(base + pos, '\n', end - pos));
          const size_t stop = nl ? static_cast<size_t>(nl - base) : end;
          rd_kafka_message_t m{};
          m.payload = base + pos;
          m.len = stop - pos;
          m._private = c;
          msgs.push_back(m);
          pos = stop + 1;
        }
      }
      c->refs.fetch_add(static_cast<uint32_t>(msgs.size()), std::memory_order_relaxed);
      producer.produce(partition, msgs);
      unref(c);  // the guard
      txn.maybe_commit(false);
    }
    ::close(fd);
  }

  txn.maybe_commit(true);
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 50);
  const int64_t last = g_last_report_ns.load();
  const int64_t t1 = o.transactional || last == 0 ? now_ns() : last;
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);

  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  const double user =
      static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
  const double sys =
      static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
  const double wall = static_cast<double>(t1 - t0) / 1e9;
  const double mib = static_cast<double>(total_bytes) / (1024.0 * 1024.0);
  const double gib = mib / 1024.0;
  const double rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  const uint64_t delivered = g_delivered.load();
  const uint64_t failed = g_failed.load();
  std::fprintf(stderr,
               "kafka_ceiling: %s: %zu files, %.1f MiB, %llu messages (%llu delivered, %llu "
               "failed) in %.2f s: %.1f MiB/s, cpu %.2f+%.2f s (%.2f s/GiB), peak rss %.0f MiB\n",
               o.mode.c_str(), files.size(), mib,
               static_cast<unsigned long long>(producer.produced()),
               static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(failed),
               wall, mib / wall, user, sys, (user + sys) / gib, rss_mib);
  std::printf(
      "{\"mode\":\"%s\",\"files\":%zu,\"bytes\":%llu,\"messages\":%llu,\"delivered\":%llu,"
      "\"failed\":%llu,\"wall_s\":%.3f,\"mib_s\":%.1f,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,"
      "\"cpu_s_per_gib\":%.2f,\"peak_rss_mib\":%.1f,\"transactions\":%llu}\n",
      o.mode.c_str(), files.size(), static_cast<unsigned long long>(total_bytes),
      static_cast<unsigned long long>(producer.produced()),
      static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(failed), wall,
      mib / wall, user, sys, (user + sys) / gib, rss_mib,
      static_cast<unsigned long long>(txn.commits()));
  return failed == 0 && delivered == producer.produced() ? 0 : 1;
}
