#!/usr/bin/env python3
"""Soak benchmark: logagent tailing rotating files into a real Kafka broker at a fixed rate.

    python3 perf/soak.py [--duration 10m] [--rate 20MiB/s] [--files 4] [--line-bytes 200]
                         [--rotate-every 200000] [--keep 3] [--mode record|batch]
                         [--logagent PATH | --no-build] [--out DIR]
    python3 perf/soak.py --duration 20s          # smoke test

1. Builds a Release logagent in build-soak/ (like perf/perf_lib.py; incremental) unless --logagent
   or --no-build is given.
2. Starts a single-node broker with tests/kafka/kafka.sh on a free port (own state and data dir,
   always stopped at the end), warms up an idempotent producer and creates the topic (1 partition).
3. Starts `logagent run` (tail of DIR/*.log -> kafka sink, metrics.listen on a free port) and a
   paced writer: --rate (bytes or lines per second) spread over --files files, lines of
   --line-bytes on average ("<time> INFO soak f<file> <seq> <text>"), written every 20 ms;
   every --rotate-every lines a file is rotated like logrotate's rename rotation with
   `rotate --keep` (f.log.2 -> f.log.3 ..., f.log -> f.log.1, a new f.log; the oldest is deleted).
   The agent follows only *.log, so rotated generations are drained through open descriptors.
4. Samples every second: the agent's VmRSS, VmHWM and CPU (/proc/PID), a /metrics scrape (buffer
   pool in use / high water / capacity, input bytes, sink events, bytes behind,
   process_resident_memory_bytes), the broker's CPU and RSS, the 1-minute load average.
5. After --duration the writer stops; the agent drains (every written line acknowledged, nothing
   behind), gets SIGTERM, and the topic is read back with kcat: every line of every file must be
   there exactly once (ids per file). A soak that loses a line fails (exit status 1).
6. Writes to --out (default perf/data/soak-<mode>-<time>/, git-ignored): samples.csv, report.md,
   summary.json, agent.log, config.yaml and soak-<mode>.png (RSS and throughput over time), and
   prints the report: RSS slope (least squares over the steady part: after the warm-up, before the
   drain) in KiB/min and % of mean RSS per hour, peak RSS, pool high water vs capacity,
   throughput, CPU s per GiB, lines written / delivered / missing, the load average.

Needs kcat (packaging/bootstrap.sh installs it with LOGAGENT_BOOTSTRAP_KAFKA=1) and, for batch
mode, the zstd command. Python standard library only (plus perf/pngplot.py for the PNG).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench_kafka  # noqa: E402  (Broker)
import pngplot  # noqa: E402
import perf_lib  # noqa: E402  (machine, parse_size, human_size, build, agent_config)

MiB = 1 << 20
GiB = 1 << 30
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def say(*parts: object) -> None:
    perf_lib.say(*parts, stamp=True)


def parse_duration(text: str) -> float:
    """10m, 20s, 1h30m, 90 (seconds)."""
    t = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", t)
    if not parts or "".join(a + b for a, b in parts) != t:
        raise argparse.ArgumentTypeError(f"bad duration {text!r} (use e.g. 10m, 20s, 1h)")
    mult = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(a) * mult[b] for a, b in parts)


def parse_rate(text: str) -> tuple[str, float]:
    """('bytes', n) for 20MiB/s, 500KiB/s; ('lines', n) for 100000/s or 100000lines/s."""
    t = text.strip().replace(" ", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(lines)?/s", t)
    if m:
        return "lines", float(m.group(1))
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?B)/s", t)
    if m:
        unit = {"KiB": 1 << 10, "MiB": MiB, "GiB": GiB, "KB": 1e3, "MB": 1e6, "GB": 1e9}
        return "bytes", float(m.group(1)) * unit[m.group(2)]
    raise argparse.ArgumentTypeError(f"bad rate {text!r} (use e.g. 20MiB/s or 100000lines/s)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------ writer

class Writer(threading.Thread):
    """Appends lines to `files` files at a steady rate, rotating each by renaming."""

    TICK = 0.02

    def __init__(self, log_dir: str, files: int, lines_per_s: float, line_bytes: int,
                 rotate_every: int, keep: int, duration: float, seed: int = 1):
        super().__init__(name="writer", daemon=True)
        self.paths = [os.path.join(log_dir, f"app-{k:02d}.log") for k in range(files)]
        self.lines_per_s = lines_per_s
        self.rotate_every = rotate_every
        self.keep = keep
        self.duration = duration
        self.halt = threading.Event()     # stop early (on an error elsewhere)
        self.t0 = 0.0
        self.seconds = 0.0                # how long writing took
        self.lines = [0] * files          # next id per file (= lines written to it)
        self.gen_lines = [0] * files      # lines in the current generation
        self.bytes = 0
        self.rotations = 0
        self.deleted = 0
        self.cpu = 0.0
        self.error: BaseException | None = None
        self.done = threading.Event()
        rng = random.Random(seed)
        # Line lengths spread over 1/2 .. 3/2 of line_bytes, mean exactly line_bytes (the
        # table is symmetric around it).
        half = [line_bytes // 2 + rng.randrange(line_bytes // 2 + 1) for _ in range(512)]
        self.lengths = half + [2 * line_bytes - n for n in half]
        rng.shuffle(self.lengths)
        words = ("request served user order payment cache miss hit upstream latency retry "
                 "connection pool worker shard session token checkout inventory search query "
                 "index commit flush segment replica leader timeout backoff status ok").split()
        text = []
        while sum(map(len, text)) < 1 << 17:
            r = rng.random()
            if r < 0.15:
                text.append(f"trace={rng.getrandbits(64):016x}")
            elif r < 0.3:
                text.append(f"{rng.choice(['ms', 'bytes', 'n', 'port'])}={rng.randrange(10**5)}")
            else:
                text.append(rng.choice(words))
        self.filler = " ".join(text).encode()
        self.fds = [os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                    for p in self.paths]

    def _line(self, f: int, i: int, ts: bytes) -> bytes:
        head = b"%s INFO soak f%d %010d " % (ts, f, i)
        n = max(1, self.lengths[i & 1023] - len(head) - 1)
        j = (i * 7919 + f * 104729) % (len(self.filler) - 2048)
        return head + self.filler[j:j + n] + b"\n"

    def _rotate(self, f: int) -> None:
        """logrotate's default (rename) rotation with `rotate keep`."""
        os.close(self.fds[f])
        p = self.paths[f]
        oldest = f"{p}.{self.keep}"
        if os.path.exists(oldest):
            os.unlink(oldest)
            self.deleted += 1
        for g in range(self.keep - 1, 0, -1):
            if os.path.exists(f"{p}.{g}"):
                os.rename(f"{p}.{g}", f"{p}.{g + 1}")
        os.rename(p, f"{p}.1")
        self.fds[f] = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self.gen_lines[f] = 0
        self.rotations += 1

    def _write(self, f: int, count: int, ts: bytes) -> None:
        while count > 0:
            n = min(count, 8192)          # bounded memory whatever the rate
            if self.rotate_every:
                n = min(n, self.rotate_every - self.gen_lines[f])
            i0 = self.lines[f]
            data = b"".join([self._line(f, i, ts) for i in range(i0, i0 + n)])
            mv = memoryview(data)
            while mv:
                mv = mv[os.write(self.fds[f], mv):]
            self.lines[f] += n
            self.gen_lines[f] += n
            self.bytes += len(data)
            count -= n
            if self.rotate_every and self.gen_lines[f] >= self.rotate_every:
                self._rotate(f)

    def total_lines(self) -> int:
        return sum(self.lines)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as e:  # reported by the main thread
            self.error = e
        finally:
            self.cpu = time.thread_time()
            self.seconds = time.monotonic() - self.t0
            for fd in self.fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.done.set()

    def _run(self) -> None:
        files = len(self.paths)
        self.t0 = time.monotonic()
        stop_at = self.t0 + self.duration
        cap = max(1, int(self.lines_per_s * 0.25))   # at most 250 ms of lines per tick
        nxt = self.t0
        while not self.halt.is_set():
            now = time.monotonic()
            end = now >= stop_at
            due = int(self.lines_per_s * (min(now, stop_at) - self.t0))
            n = min(due - self.total_lines(), cap)
            if n > 0:
                ts = datetime.datetime.now(datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%S.%f")[:-3].encode() + b"Z"
                base = self.total_lines()
                # round-robin over files: file f gets the k-th line when (base + k) % files == f
                for f in range(files):
                    cnt = (base + n - f + files - 1) // files - (base - f + files - 1) // files
                    if cnt:
                        self._write(f, cnt, ts)
            if end and self.total_lines() >= due:
                return
            nxt += self.TICK
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                nxt = time.monotonic()


# ------------------------------------------------------------------------------------ sampler

METRIC_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
WANTED = ("logagent_buffer_pool_in_use", "logagent_buffer_pool_high_water",
          "logagent_buffer_pool_capacity", "logagent_buffer_pool_chunk_bytes",
          "logagent_buffer_pool_waits_total", "logagent_input_bytes_total",
          "logagent_input_lines_total", "logagent_input_bytes_behind",
          "logagent_sink_bytes_total", "process_resident_memory_bytes",
          "logagent_input_rotations_total", "logagent_input_bytes_abandoned_total",
          "logagent_files_open", "logagent_kafka_messages_in_flight", "process_threads",
          "process_open_fds", "logagent_buffer_pool_allocated")


def scrape(url: str) -> dict[str, float]:
    """Sums each wanted metric over its label sets; sink events split by result."""
    with urllib.request.urlopen(url, timeout=3) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = METRIC_RE.match(line)
        if not m:
            continue
        name, labels, value = m.groups()
        if name == "logagent_sink_events_total":
            name = "sink_events_error" if 'result="error"' in (labels or "") else "sink_events_ok"
        elif name == "logagent_heap_bytes":
            state = re.search(r'state="(\w+)"', labels or "")
            if not state:
                continue
            name = f"heap_{state.group(1)}"
        elif name not in WANTED:
            continue
        out[name] = out.get(name, 0.0) + float(value)
    return out


def proc_status(pid: int) -> dict[str, int]:
    d = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                d[k] = int(v.split()[0])
    return d


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE // 1024


COLUMNS = ["t", "phase", "rss_kib", "hwm_kib", "anon_kib", "file_kib", "cpu_s", "threads", "written_lines",
           "written_bytes", "load1", "broker_cpu_s", "broker_rss_kib", "scrape_ok",
           *WANTED, "sink_events_ok", "sink_events_error", "heap_in_use", "heap_free"]


class Sampler(threading.Thread):
    def __init__(self, pid: int, metrics_url: str, writer: Writer, broker_pid: int, t0: float,
                 csv_path: str):
        super().__init__(name="sampler", daemon=True)
        self.pid, self.url, self.writer, self.broker_pid = pid, metrics_url, writer, broker_pid
        self.t0 = t0
        self.phase = "run"
        self.samples: list[dict] = []
        self.stop_event = threading.Event()
        self.csv = open(csv_path, "w", newline="")
        self.out = csv.DictWriter(self.csv, COLUMNS, extrasaction="ignore")
        self.out.writeheader()

    def sample(self) -> dict | None:
        s: dict = {"t": round(time.monotonic() - self.t0, 3), "phase": self.phase}
        try:
            st = proc_status(self.pid)
            s.update(rss_kib=st["VmRSS"], hwm_kib=st["VmHWM"], threads=st["Threads"],
                     anon_kib=st.get("RssAnon", 0), file_kib=st.get("RssFile", 0),
                     cpu_s=proc_cpu(self.pid))
        except (OSError, KeyError, IndexError, ValueError):
            return None   # the agent is gone
        s["written_lines"] = self.writer.total_lines()
        s["written_bytes"] = self.writer.bytes
        s["load1"] = os.getloadavg()[0]
        try:
            s["broker_cpu_s"] = proc_cpu(self.broker_pid)
            s["broker_rss_kib"] = proc_rss_kib(self.broker_pid)
        except (OSError, ValueError, IndexError):
            pass
        try:
            s.update(scrape(self.url))
            s["scrape_ok"] = 1
        except OSError:
            s["scrape_ok"] = 0
        return s

    def run(self) -> None:
        k = 0
        while not self.stop_event.is_set():
            s = self.sample()
            if s is None:
                return
            self.samples.append(s)
            self.out.writerow(s)
            self.csv.flush()
            k += 1
            self.stop_event.wait(max(0.0, self.t0 + k - time.monotonic()))

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)
        self.csv.close()


# ------------------------------------------------------------------------------------ verify

class IdChecker:
    """Checks lines "... soak f<file> <id> ..." against the ids written per file: every id in
    [0, written[f]) exactly once. Fast path while a file's ids arrive in order (one partition
    keeps each file's order); a bitmap of the ids seen from the first surprise on."""

    def __init__(self, written: list[int]):
        self.written = written
        n = len(written)
        self.nxt = [0] * n
        self.seen: list[bytearray | None] = [None] * n
        self.dups = [0] * n
        self.extra = 0
        self.lines = 0
        self.pats = [re.compile(rb" soak f%d (\d{10}) " % f) for f in range(n)]

    def feed(self, chunk: bytes) -> None:
        """chunk: whole lines."""
        self.lines += chunk.count(b"\n")
        for f, pat in enumerate(self.pats):
            ids = list(map(int, pat.findall(chunk)))
            if not ids:
                continue
            nxt = self.nxt[f]
            if self.seen[f] is None and ids == list(range(nxt, nxt + len(ids))) and \
                    nxt + len(ids) <= self.written[f]:
                self.nxt[f] += len(ids)
                continue
            bm = self.seen[f]
            if bm is None:
                bm = self.seen[f] = bytearray(self.written[f])
                bm[:nxt] = b"\x01" * nxt
            for i in ids:
                if i >= self.written[f]:
                    self.extra += 1
                elif bm[i]:
                    self.dups[f] += 1
                else:
                    bm[i] = 1

    def result(self) -> dict:
        delivered = [bm.count(1) if bm is not None else n
                     for bm, n in zip(self.seen, self.nxt)]
        return {"lines_read": self.lines, "delivered": sum(delivered),
                "delivered_per_file": delivered,
                "missing": sum(w - d for w, d in zip(self.written, delivered)),
                "duplicates": sum(self.dups), "unexpected": self.extra,
                # lines that carry no id of any file (mangled or foreign)
                "unmatched": self.lines - sum(delivered) - sum(self.dups) - self.extra}


def verify(bootstrap: str, topic: str, mode: str, written: list[int], timeout: float) -> dict:
    """Reads the whole topic back with kcat (batch mode: through zstd -d) and checks every id."""
    kcat = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
            "-X", "fetch.message.max.bytes=16777216"]
    if mode == "record":
        procs = [subprocess.Popen(kcat + ["-f", "%s\n"], stdout=subprocess.PIPE)]
    else:
        k = subprocess.Popen(kcat + ["-f", "%s"], stdout=subprocess.PIPE)
        z = subprocess.Popen(["zstd", "-dcq"], stdin=k.stdout, stdout=subprocess.PIPE)
        k.stdout.close()
        procs = [k, z]
    src = procs[-1].stdout
    chk = IdChecker(written)
    t0 = time.monotonic()
    rest = b""
    while True:
        buf = src.read(16 * MiB)
        if not buf:
            break
        buf = rest + buf
        cut = buf.rfind(b"\n") + 1
        chk.feed(buf[:cut])
        rest = buf[cut:]
        if time.monotonic() > t0 + timeout:
            for p in procs:
                p.kill()
            raise RuntimeError(f"reading the topic back took longer than {timeout:.0f} s")
    if rest:
        chk.feed(rest + b"\n")
    for p in procs:
        p.wait()
    r = chk.result()
    r.update(rc=[p.returncode for p in procs], seconds=time.monotonic() - t0)
    if any(r["rc"]):
        raise RuntimeError(f"kcat/zstd failed: exit {r['rc']}")
    return r


# ------------------------------------------------------------------------------------ report

def lsq(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares slope and intercept."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx if sxx else 0.0
    return b, my - b * mx


def rates(samples: list[dict], key: str) -> list[tuple[float, float]]:
    """(t, MiB/s) of a counter between consecutive samples that both have it."""
    out = []
    for a, b in zip(samples, samples[1:]):
        if key in a and key in b and b["t"] > a["t"]:
            out.append((b["t"], (b[key] - a[key]) / MiB / (b["t"] - a["t"])))
    return out


def moving_mean(pts: list[tuple[float, float]], window: float) -> list[tuple[float, float]]:
    out, lo, acc = [], 0, 0.0
    for hi, (t, v) in enumerate(pts):
        acc += v
        while pts[lo][0] <= t - window:
            acc -= pts[lo][1]
            lo += 1
        out.append((t, acc / (hi - lo + 1)))
    return out


def analyse(samples: list[dict], warmup: float, args, writer: Writer, chk: dict,
            extra: dict) -> dict:
    run = [s for s in samples if s["phase"] == "run"]
    steady = [s for s in run if s["t"] >= warmup]
    r: dict = {}
    if len(steady) >= 3:
        ts = [s["t"] / 60 for s in steady]
        rss = [s["rss_kib"] for s in steady]
        slope, icpt = lsq(ts, rss)
        mean_rss = statistics.mean(rss)
        # which part moves: anonymous memory (heap, pool, stacks) or file pages (code)
        r["slope_anon_kib_min"] = lsq(ts, [s.get("anon_kib", 0) for s in steady])[0]
        r["slope_file_kib_min"] = lsq(ts, [s.get("file_kib", 0) for s in steady])[0]
        # the floor: each minute's lowest RSS. Purging makes RSS a sawtooth (pages freed by a
        # burst go back within seconds); retained memory lifts the floor, transient peaks do not
        mins: dict[int, float] = {}
        for s in steady:
            k = int((s["t"] - steady[0]["t"]) // 60)
            mins[k] = min(mins.get(k, float("inf")), s["rss_kib"])
        full = sorted(mins.items())[:-1] if len(mins) > 1 else []   # whole minutes only
        if len(full) >= 3:
            r["floor_slope_kib_min"] = lsq([k for k, _ in full], [v for _, v in full])[0]
            r["floor_first_mib"], r["floor_last_mib"] = full[0][1] / 1024, full[-1][1] / 1024
        # the allocator's view (logagent_heap_bytes): live heap vs what it holds after free
        heap = [s for s in steady if "heap_in_use" in s]
        if len(heap) >= 3:
            hts = [s["t"] / 60 for s in heap]
            r["heap_in_use_slope_kib_min"] = lsq(hts, [s["heap_in_use"] / 1024 for s in heap])[0]
            r["heap_free_slope_kib_min"] = lsq(hts, [s["heap_free"] / 1024 for s in heap])[0]
            r["heap_in_use_min_mib"] = min(s["heap_in_use"] for s in heap) / MiB
            r["heap_in_use_max_mib"] = max(s["heap_in_use"] for s in heap) / MiB
            r["heap_free_max_mib"] = max(s["heap_free"] for s in heap) / MiB
        r.update(slope_kib_min=slope, slope_pct_h=slope * 60 / mean_rss * 100,
                 intercept_kib=icpt, mean_rss_mib=mean_rss / 1024,
                 steady_from=steady[0]["t"], steady_to=steady[-1]["t"],
                 rss_first_min_mib=statistics.mean(
                     s["rss_kib"] for s in steady if s["t"] < steady[0]["t"] + 60) / 1024,
                 rss_last_min_mib=statistics.mean(
                     s["rss_kib"] for s in steady if s["t"] > steady[-1]["t"] - 60) / 1024,
                 steady_min_rss_mib=min(rss) / 1024, steady_max_rss_mib=max(rss) / 1024)
        # the second half alone: a step (a burst after a stall fills more of the pool, whose
        # pages then stay resident) tilts the whole fit; growth shows in both halves
        half = [s for s in steady if s["t"] >= (steady[0]["t"] + steady[-1]["t"]) / 2]
        if len(half) >= 3:
            r["slope2_kib_min"] = lsq([s["t"] / 60 for s in half],
                                      [s["rss_kib"] for s in half])[0]
            r["slope2_pct_h"] = r["slope2_kib_min"] * 60 / mean_rss * 100
            r["slope2_from"] = half[0]["t"]
    last = samples[-1]
    r["peak_rss_mib"] = max(s["hwm_kib"] for s in samples) / 1024
    r["peak_rss_sampled_mib"] = max(s["rss_kib"] for s in samples) / 1024
    scraped = [s for s in samples if s.get("scrape_ok")]
    if scraped:
        lm = scraped[-1]
        chunk = lm.get("logagent_buffer_pool_chunk_bytes", 0)
        r.update(pool_high_water=int(lm.get("logagent_buffer_pool_high_water", 0)),
                 pool_capacity=int(lm.get("logagent_buffer_pool_capacity", 0)),
                 pool_chunk_kib=chunk / 1024,
                 pool_in_use_max=int(max(s.get("logagent_buffer_pool_in_use", 0)
                                         for s in scraped)),
                 pool_in_use_mean=statistics.mean(s.get("logagent_buffer_pool_in_use", 0)
                                                  for s in scraped),
                 pool_waits=int(lm.get("logagent_buffer_pool_waits_total", 0)),
                 behind_max_mib=max(s.get("logagent_input_bytes_behind", 0)
                                    for s in scraped) / MiB,
                 rotations_seen=int(lm.get("logagent_input_rotations_total", 0)),
                 abandoned=int(lm.get("logagent_input_bytes_abandoned_total", 0)),
                 metrics_rss_max_mib=max(s.get("process_resident_memory_bytes", 0)
                                         for s in scraped) / MiB,
                 input_bytes=int(lm.get("logagent_input_bytes_total", 0)),
                 sink_ok=int(lm.get("sink_events_ok", 0)),
                 sink_error=int(lm.get("sink_events_error", 0)))
    thr = [v for t, v in rates([s for s in run if s.get("scrape_ok")],
                               "logagent_input_bytes_total") if t >= warmup]
    if thr:
        pts = [(i, v) for i, v in enumerate(thr)]
        r.update(thr_mean=statistics.mean(thr), thr_min=min(thr), thr_max=max(thr),
                 thr_min_10s=min(v for _, v in moving_mean(pts, 10)[9:]) if len(thr) > 10
                 else min(thr))
    cpu = extra["agent_cpu_s"]
    r["cpu_s"] = cpu
    r["cpu_s_per_gib"] = cpu / (writer.bytes / GiB) if writer.bytes else float("nan")
    r["broker_cpu_s"] = (last.get("broker_cpu_s", 0) - samples[0].get("broker_cpu_s", 0))
    r["broker_rss_max_mib"] = max(s.get("broker_rss_kib", 0) for s in samples) / 1024
    loads = [s["load1"] for s in samples]
    r.update(load_mean=statistics.mean(loads), load_max=max(loads), load_min=min(loads))
    r.update(written_lines=writer.total_lines(), written_bytes=writer.bytes,
             rotations=writer.rotations, deleted_generations=writer.deleted,
             writer_cpu_s=writer.cpu,
             written_mib_s=writer.bytes / MiB / max(1e-9, extra["write_seconds"]))
    r.update(chk)
    r.update(extra)
    return r


def verdict(r: dict, duration: float, max_slope_pct_h: float) -> str:
    if "slope_pct_h" not in r:
        return "too short to fit"
    if duration - r["steady_from"] < 240:
        return "steady part under 4 min: slope not judged"
    if abs(r["slope_pct_h"]) <= max_slope_pct_h:
        return "flat"
    # falling: settling after a burst early in the run -- not growth, but not shown flat either
    return "GROWING" if r["slope_pct_h"] > 0 else "falling"


def report_md(r: dict, args, mach: dict, rate_desc: str, png_name: str) -> str:
    f = lambda v, d=1: f"{v:,.{d}f}"  # noqa: E731
    lines = [
        f"# logagent soak: {args.mode} mode, {rate_desc}, {args.duration_s:.0f} s",
        "",
        f"Command: `python3 perf/soak.py {' '.join(args.argv)}`".rstrip(),
        "",
        f"Machine: {mach['nproc']} x {mach['cpu']}, {mach['mem']} RAM, Linux {mach['kernel']}, "
        f"{mach['date']}; logagent {args.logagent} built from {args.built_from}; Kafka 4.4.0 "
        f"single node on 127.0.0.1 **sharing the same cores**. Load average (1 min) during the "
        f"run: mean {f(r['load_mean'])}, min {f(r['load_min'])}, max {f(r['load_max'])}.",
        "",
        f"Input: {args.files} files, lines of {args.line_bytes} bytes on average, rename "
        f"rotation every {args.rotate_every:,} lines per file (keep {args.keep}); agent: "
        f"`workers: {args.workers}`, `buffer_pool: {args.buffer_pool}`, kafka sink `mode: "
        f"{args.mode}`, `format: {args.format}`, defaults otherwise.",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    if "slope_kib_min" in r:
        lines += [
            f"| RSS slope (least squares, t = {r['steady_from']:.0f}-{r['steady_to']:.0f} s) | "
            f"{r['slope_kib_min']:+,.1f} KiB/min = {r['slope_pct_h']:+.2f} % of mean RSS per hour "
            f"({r['verdict']}); of it anonymous {r['slope_anon_kib_min']:+,.1f}, file-backed "
            f"{r['slope_file_kib_min']:+,.1f} KiB/min |",
            f"| RSS slope over its second half (t = {r.get('slope2_from', 0):.0f}-"
            f"{r['steady_to']:.0f} s) | {r.get('slope2_kib_min', float('nan')):+,.1f} KiB/min = "
            f"{r.get('slope2_pct_h', float('nan')):+.2f} %/h |",
            f"| RSS over that part: mean / min / max | {f(r['mean_rss_mib'])} / "
            f"{f(r['steady_min_rss_mib'])} / {f(r['steady_max_rss_mib'])} MiB |",
            f"| RSS mean of its first minute / last minute | {f(r['rss_first_min_mib'])} / "
            f"{f(r['rss_last_min_mib'])} MiB |",
        ]
    if "floor_slope_kib_min" in r:
        lines += [
            f"| RSS floor (each minute's lowest): slope / first / last minute | "
            f"{r['floor_slope_kib_min']:+,.1f} KiB/min / {f(r['floor_first_mib'])} / "
            f"{f(r['floor_last_mib'])} MiB |",
        ]
    if "heap_in_use_slope_kib_min" in r:
        lines += [
            f"| C heap in use (logagent_heap_bytes): slope / min / max | "
            f"{r['heap_in_use_slope_kib_min']:+,.1f} KiB/min / {f(r['heap_in_use_min_mib'])} / "
            f"{f(r['heap_in_use_max_mib'])} MiB |",
            f"| C heap free but held by malloc: slope / max | "
            f"{r['heap_free_slope_kib_min']:+,.1f} KiB/min / {f(r['heap_free_max_mib'])} MiB |",
        ]
    lines += [
        f"| peak RSS (VmHWM) | {f(r['peak_rss_mib'])} MiB |",
        f"| buffer pool high water / capacity | {r.get('pool_high_water', '-')} / "
        f"{r.get('pool_capacity', '-')} buffers of {f(r.get('pool_chunk_kib', 0), 0)} KiB "
        f"(in use: mean {f(r.get('pool_in_use_mean', 0))}, max {r.get('pool_in_use_max', '-')};"
        f" waits {r.get('pool_waits', '-')}) |",
        f"| input throughput after warm-up, per second: mean / min / max | "
        f"{f(r.get('thr_mean', 0))} / {f(r.get('thr_min', 0))} / {f(r.get('thr_max', 0))} "
        f"MiB/s (min of 10 s means {f(r.get('thr_min_10s', 0))}) |",
        f"| written by the writer | {f(r['written_mib_s'])} MiB/s on average, "
        f"{r['written_bytes'] / GiB:,.2f} GiB |",
        f"| most bytes behind (read, not yet acknowledged) | {f(r.get('behind_max_mib', 0))} "
        f"MiB |",
        f"| agent CPU | {f(r['cpu_s'])} s = {r['cpu_s_per_gib']:.2f} CPU s per GiB |",
        f"| broker CPU / peak RSS | {f(r['broker_cpu_s'])} s / {f(r['broker_rss_max_mib'], 0)}"
        f" MiB |",
        f"| rotations (writer / seen by the agent) | {r['rotations']:,} / "
        f"{r.get('rotations_seen', '-')}; {r['deleted_generations']:,} generations deleted |",
        f"| drain after the writer stopped | {f(r['drain_seconds'])} s |",
        f"| lines written / delivered / missing | {r['written_lines']:,} / "
        f"{r['delivered']:,} / **{r['missing']:,}** |",
        f"| duplicates / unexpected ids / lines without an id | {r['duplicates']:,} / "
        f"{r['unexpected']:,} / {r['unmatched']:,} |",
        f"| agent exit after SIGTERM | {r['agent_rc']} |",
        "",
        f"![RSS and throughput over time]({png_name})",
        "",
    ]
    return "\n".join(lines)


def plot(path: str, samples: list[dict], r: dict, args, rate_desc: str, target_mib: float,
         warmup: float) -> None:
    ok = [s for s in samples if s.get("scrape_ok")]
    ts = [s["t"] for s in samples]
    rss = [s["rss_kib"] / 1024 for s in samples]
    chunk = ok[-1].get("logagent_buffer_pool_chunk_bytes", 0) if ok else 0
    top = [pngplot.Series(ts, rss, pngplot.BLUE, "agent RSS (VmRSS) MiB"),
           pngplot.Series([s["t"] for s in ok],
                          [s.get("logagent_buffer_pool_in_use", 0) * chunk / MiB for s in ok],
                          pngplot.GREEN, "buffer pool in use MiB", width=1)]
    heap = [s for s in ok if "heap_in_use" in s]
    if heap:
        top.append(pngplot.Series([s["t"] for s in heap],
                                  [s["heap_in_use"] / MiB for s in heap], pngplot.ORANGE,
                                  "C heap in use MiB", width=1))
    vlines = [(warmup, pngplot.GREY)]
    drain = [s["t"] for s in samples if s["phase"] == "drain"]
    if drain:
        vlines.append((drain[0], pngplot.GREY))
    note = ""
    if "slope_kib_min" in r:
        a, b = r["steady_from"], r["steady_to"]
        fit = lambda t: (r["intercept_kib"] + r["slope_kib_min"] * t / 60) / 1024  # noqa: E731
        top.append(pngplot.Series([a, b], [fit(a), fit(b)], pngplot.RED,
                                  "least-squares fit", width=1, dash=6))
        note = f"slope {r['slope_kib_min']:+,.1f} KiB/min ({r['slope_pct_h']:+.2f} %/h)"
    inp = rates(ok, "logagent_input_bytes_total")
    ack = rates(ok, "logagent_sink_bytes_total")
    bottom = [pngplot.Series([t for t, _ in inp], [v for _, v in inp], pngplot.LIGHT_ORANGE,
                             "read MiB/s, per second", width=1),
              pngplot.Series([t for t, _ in moving_mean(inp, 10)],
                             [v for _, v in moving_mean(inp, 10)], pngplot.ORANGE,
                             "read, 10 s mean"),
              pngplot.Series([t for t, _ in moving_mean(ack, 10)],
                             [v for _, v in moving_mean(ack, 10)], pngplot.BLUE,
                             "acknowledged (Kafka), 10 s mean", width=1)]
    title = (f"logagent soak: tail -> Kafka {args.mode} mode, {rate_desc}, "
             f"{args.duration_s / 60:.0f} min" if args.duration_s >= 120 else
             f"logagent soak: tail -> Kafka {args.mode} mode, {rate_desc}, "
             f"{args.duration_s:.0f} s")
    sub = (f"{args.files} files, rename rotation every {args.rotate_every:,} lines per file "
           f"(keep {args.keep}), {args.workers} workers, buffer_pool {args.buffer_pool}, "
           f"format {args.format}\n"
           f"peak RSS {r['peak_rss_mib']:.1f} MiB; pool high water "
           f"{r.get('pool_high_water', '-')}/{r.get('pool_capacity', '-')} buffers; lines "
           f"missing {r['missing']:,} of {r['written_lines']:,}; load average "
           f"{r['load_mean']:.1f} (max {r['load_max']:.1f}) on {os.cpu_count()} vCPU shared "
           f"with the broker")
    pngplot.chart(path, title, [
        pngplot.Panel("RSS MiB", top, note=note, vlines=vlines),
        pngplot.Panel("MiB/s", bottom, hlines=[(target_mib, pngplot.RED)], vlines=vlines,
                      note=f"target {target_mib:.1f} MiB/s (dashed)"),
    ], xlabel="seconds since the agent started (dashed: end of warm-up, start of drain)",
        subtitle=sub)


# ------------------------------------------------------------------------------------ main

def wait_metrics(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"logagent exited with {proc.returncode} at start")
        try:
            scrape(url)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no /metrics on {url} after {timeout:.0f} s")
            time.sleep(0.1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=parse_duration, default=600.0,
                    help="how long the writer writes (default 10m)")
    ap.add_argument("--rate", type=parse_rate, default=("bytes", 20 * MiB),
                    help="input rate: 20MiB/s (default) or 100000lines/s")
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--line-bytes", type=int, default=200)
    ap.add_argument("--rotate-every", type=int, default=200_000,
                    help="lines per file between rotations (0: never; default 200000)")
    ap.add_argument("--keep", type=int, default=3, help="rotated generations kept (default 3)")
    ap.add_argument("--mode", choices=("record", "batch"), default="record")
    ap.add_argument("--format", choices=("raw", "json"), default="raw")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--buffer-pool", default="64MiB")
    ap.add_argument("--warmup", type=parse_duration, default=None,
                    help="excluded from the RSS fit (default 60 s or 10%% of the run, "
                         "whichever is longer, at most a quarter of it)")
    ap.add_argument("--drain-timeout", type=parse_duration, default=300.0)
    ap.add_argument("--max-slope", type=float, default=2.0,
                    help="largest |RSS slope| in %% of mean RSS per hour called flat (default 2)")
    ap.add_argument("--logagent", help="logagent binary (default: build build-soak/)")
    ap.add_argument("--no-build", action="store_true",
                    help="use build-soak/logagent (or build-release/logagent) as it is")
    ap.add_argument("--out", help="results directory (default perf/data/soak-<mode>-<time>)")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    args.duration_s = args.duration

    for tool in ["kcat"] + (["zstd"] if args.mode == "batch" else []):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (packaging/bootstrap.sh installs kcat with "
                     "LOGAGENT_BOOTSTRAP_KAFKA=1; zstd is the zstd package)")
    if args.logagent:
        binary = os.path.abspath(args.logagent)
    elif args.no_build:
        binary = next((p for p in (os.path.join(REPO, "build-soak", "logagent"),
                                   os.path.join(REPO, "build-release", "logagent"))
                       if os.access(p, os.X_OK)), "")
        if not binary:
            sys.exit("no build-soak/logagent or build-release/logagent; drop --no-build")
    else:
        build_dir = os.path.join(REPO, "build-soak")
        perf_lib.build(build_dir, 2, ["logagent"], benchmarks=False, configure_once=True)
        binary = os.path.join(build_dir, "logagent")
    args.logagent = os.path.relpath(binary, REPO) if binary.startswith(REPO) else binary
    mach = perf_lib.machine()
    mtime = datetime.datetime.fromtimestamp(os.path.getmtime(binary)).strftime("%Y-%m-%d %H:%M")
    args.built_from = f"the working tree (binary built {mtime}; HEAD at run time {mach['commit']})"

    kind, rate = args.rate
    lines_per_s = rate / args.line_bytes if kind == "bytes" else rate
    target_mib = lines_per_s * args.line_bytes / MiB
    rate_desc = (f"{target_mib:g} MiB/s" if kind == "bytes" else
                 f"{lines_per_s:,.0f} lines/s") + f" ({lines_per_s:,.0f} lines/s)" * (
                     kind == "bytes")
    warmup = args.warmup if args.warmup is not None else \
        min(max(60.0, 0.1 * args.duration), 0.25 * args.duration)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = os.path.abspath(args.out or os.path.join(HERE, "data", f"soak-{args.mode}-{stamp}"))
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="logagent-soak-")
    log_dir = os.path.join(work, "logs")
    os.makedirs(log_dir)
    topic = f"soak-{args.mode}-{stamp}"
    say(f"soak: {args.duration:.0f} s at {rate_desc} over {args.files} files, rotation every "
        f"{args.rotate_every:,} lines, {args.mode} mode; logagent {binary}; out {out}; "
        f"load average {mach['load']}")

    broker = bench_kafka.Broker(work)
    agent: subprocess.Popen | None = None
    writer: Writer | None = None
    sampler: Sampler | None = None
    agent_log = open(os.path.join(out, "agent.log"), "w")
    status = 0
    try:
        broker.start()
        broker.warm_up()
        broker.create_topic(topic)
        port = free_port()
        cfg = os.path.join(out, "config.yaml")
        perf_lib.agent_config(
            cfg, name="soak", data_dir=os.path.join(work, "data"), input_dir=log_dir,
            workers=args.workers, buffer_pool=args.buffer_pool,
            metrics_listen=f"127.0.0.1:{port}",
            sink={"type": "kafka", "brokers": [broker.bootstrap], "topic": topic,
                  "mode": args.mode, "format": args.format})
        writer = Writer(log_dir, args.files, lines_per_s, args.line_bytes, args.rotate_every,
                        args.keep, args.duration)
        t0 = time.monotonic()
        agent = subprocess.Popen([binary, "run", "-c", cfg], stdin=subprocess.DEVNULL,
                                 stdout=agent_log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/metrics"
        wait_metrics(url, agent)
        load_start = os.getloadavg()
        sampler = Sampler(agent.pid, url, writer, broker.pid(), t0,
                          os.path.join(out, "samples.csv"))
        sampler.start()
        writer.start()
        next_note = time.monotonic() + 30
        while not writer.done.wait(1.0):
            if agent.poll() is not None:
                raise RuntimeError(f"logagent exited with {agent.returncode} during the run")
            if time.monotonic() >= next_note and sampler.samples:
                next_note += 30
                s = sampler.samples[-1]
                say(f"t={s['t']:.0f} s: rss {s['rss_kib'] / 1024:.1f} MiB, pool in use "
                    f"{s.get('logagent_buffer_pool_in_use', '?')}, written "
                    f"{writer.bytes / MiB:,.0f} MiB, read "
                    f"{s.get('logagent_input_bytes_total', 0) / MiB:,.0f} MiB, behind "
                    f"{s.get('logagent_input_bytes_behind', 0) / MiB:.1f} MiB, load "
                    f"{s['load1']:.1f}")
        write_seconds = writer.seconds
        if writer.error:
            raise RuntimeError(f"writer failed: {writer.error!r}")
        # drain: every written line acknowledged and nothing behind
        sampler.phase = "drain"
        t_drain = time.monotonic()
        want = writer.total_lines()
        drained = False
        while time.monotonic() - t_drain < args.drain_timeout:
            if agent.poll() is not None:
                raise RuntimeError(f"logagent exited with {agent.returncode} while draining")
            try:
                m = scrape(url)
            except OSError:
                m = {}
            if m.get("sink_events_ok", -1) >= want and \
                    m.get("logagent_input_bytes_behind", 1) == 0 and \
                    m.get("logagent_input_bytes_total", 0) >= writer.bytes:
                drained = True
                break
            time.sleep(0.2)
        drain_seconds = time.monotonic() - t_drain
        time.sleep(1.5)      # one more sample after the drain
        sampler.stop()
        say(f"writer done: {want:,} lines, {writer.bytes / MiB:,.0f} MiB in "
            f"{write_seconds:.1f} s; drained in {drain_seconds:.1f} s" +
            ("" if drained else " -- NOT DRAINED (timeout)"))
        agent_cpu = proc_cpu(agent.pid)
        agent.send_signal(signal.SIGTERM)
        try:
            agent_rc = agent.wait(60)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent_rc = "killed after 60 s"
        load_end = os.getloadavg()
        say(f"logagent exited ({agent_rc}); reading topic {topic} back")
        end = broker.end_offset(topic)
        chk = verify(broker.bootstrap, topic, args.mode, list(writer.lines),
                     timeout=max(600.0, args.duration))
        chk["end_offset"] = end
        say(f"verify: {chk['lines_read']:,} lines in {chk['seconds']:.0f} s; delivered "
            f"{chk['delivered']:,} of {want:,}, missing {chk['missing']:,}, duplicates "
            f"{chk['duplicates']:,}, unexpected {chk['unexpected']:,}, without an id "
            f"{chk['unmatched']:,}, end offset {end:,}")
        extra = {"agent_cpu_s": agent_cpu, "agent_rc": agent_rc, "drained": drained,
                 "drain_seconds": drain_seconds, "write_seconds": write_seconds,
                 "load_start": " ".join(f"{x:.2f}" for x in load_start),
                 "load_end": " ".join(f"{x:.2f}" for x in load_end), "warmup_s": warmup,
                 "machine": mach}
        r = analyse(sampler.samples, warmup, args, writer, chk, extra)
        r["verdict"] = verdict(r, args.duration, args.max_slope)
        png_name = f"soak-{args.mode}.png"
        plot(os.path.join(out, png_name), sampler.samples, r, args, rate_desc, target_mib,
             warmup)
        md = report_md(r, args, mach, rate_desc, png_name)
        with open(os.path.join(out, "report.md"), "w") as f:
            f.write(md)
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(r, f, indent=1, default=str)
        print(md)
        failed = []
        if chk["missing"] or chk["unexpected"] or chk["unmatched"]:
            failed.append(f"{chk['missing']:,} lines missing, {chk['unexpected']:,} unexpected, "
                          f"{chk['unmatched']:,} without an id")
        if not drained:
            failed.append("the agent did not drain")
        if agent_rc != 0:
            failed.append(f"logagent exit {agent_rc}")
        if r["verdict"] == "GROWING":
            failed.append(f"RSS grows {r['slope_pct_h']:+.2f} %/h (limit {args.max_slope})")
        if failed:
            say("SOAK FAILED: " + "; ".join(failed))
            status = 1
        else:
            say(f"soak passed; results in {out}")
    except Exception as e:  # noqa: BLE001 -- report, clean up, fail
        say(f"SOAK FAILED: {e}")
        status = 1
    finally:
        if writer is not None:
            writer.halt.set()
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        if agent is not None and agent.poll() is None:
            agent.kill()
            agent.wait()
        agent_log.close()
        try:
            broker.stop()
        except Exception as e:  # noqa: BLE001
            say(f"broker stop: {e}")
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
