#!/usr/bin/env python3
"""What an idle agent costs: N log files that nobody writes, one agent (or several side by side),
measured over a window of quiet.

For each binary given with --logagent (the same binary twice is fine; the first is the default
Release build), and each file count in --files, it starts the agent on FILES idle files (tail ->
file sink), waits until it has read them all, then measures over --seconds:
  - CPU: user+system time of the process, as % of one core;
  - wake-ups/s: context switches of all its threads (voluntary + involuntary), per second;
  - peak RSS and open descriptors;
and then the latency of a new line: a line appended to one of the idle files, until it is in the
sink's output (median and worst of --lines appends, one at a time). Nothing is asserted: the
figures are printed as a table (perf/README.md keeps those of record).

  python3 perf/idle.py --files 1000,10000
  python3 perf/idle.py --logagent /tmp/old/logagent --logagent build-release/logagent
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_lib as pl  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def switches(pid: int) -> int:
    n = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
        except OSError:
            pass  # a thread that ended meanwhile
    return n


def status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def output_lines(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def output_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def wait_for(cond, timeout: float, what: str, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"idle.py: timed out waiting for {what}")
        time.sleep(interval)


def run_one(binary: str, files: int, seconds: float, lines: int, work: str) -> dict:
    root = tempfile.mkdtemp(prefix="idle-", dir=work)
    try:
        logs = os.path.join(root, "logs")
        os.makedirs(logs)
        for i in range(files):
            with open(os.path.join(logs, f"f{i:05d}.log"), "w") as f:
                f.write(f"file {i} first line\n")
        out = os.path.join(root, "out.ndjson")
        cfg = os.path.join(root, "config.yaml")
        with open(cfg, "w") as f:
            f.write(f"""data_dir: {json.dumps(os.path.join(root, "data"))}
metrics: {{listen: ""}}
pipelines:
  - name: idle
    input: {{type: tail, read_from: head, paths: [{json.dumps(os.path.join(logs, "*.log"))}]}}
    sinks:
      - {{type: file, path: {json.dumps(out)}, format: raw}}
""")
        # Room for a descriptor per file, as an operator running this many files would give it.
        limit = files + 1024

        def raise_fd_limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        proc = subprocess.Popen([binary, "run", "--config", cfg], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, preexec_fn=raise_fd_limit)
        try:
            wait_for(lambda: output_lines(out) >= files, 120, f"{files} first lines read")
            time.sleep(2.0)  # the first rescans and idle closes settle
            c0, s0, t0 = cpu_seconds(proc.pid), switches(proc.pid), time.monotonic()
            time.sleep(seconds)
            c1, s1, t1 = cpu_seconds(proc.pid), switches(proc.pid), time.monotonic()
            fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
            rss = status_kib(proc.pid, "VmHWM")
            lat = []
            for k in range(lines):
                path = os.path.join(logs, f"f{(k * 7919) % files:05d}.log")
                have = output_size(out)
                start = time.monotonic()
                with open(path, "a") as f:
                    f.write(f"new line {k}\n")
                # Looked at every 0.2 ms (a stat): the figure is good to that.
                wait_for(lambda: output_size(out) > have, 30, "a new line in the output",
                         interval=0.0002)
                lat.append(time.monotonic() - start)
                time.sleep(0.2)  # idle again before the next one
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        return {"cpu_pct": 100 * (c1 - c0) / (t1 - t0), "wakeups": (s1 - s0) / (t1 - t0),
                "rss_mib": rss / 1024, "fds": fds, "lat_med_ms": 1000 * statistics.median(lat),
                "lat_max_ms": 1000 * max(lat)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--logagent", action="append",
                    help="binary to measure (repeat to compare; default build-release/logagent)")
    ap.add_argument("--files", default="1000", help="comma-separated idle file counts")
    ap.add_argument("--seconds", type=float, default=10.0, help="the quiet window measured")
    ap.add_argument("--lines", type=int, default=9, help="single-line appends timed")
    ap.add_argument("--repeat", type=int, default=1, help="runs per binary and count (medians)")
    ap.add_argument("--work-dir", default=tempfile.gettempdir())
    ap.add_argument("--json", help="also write the rows to this file as JSON")
    args = ap.parse_args()
    records = []
    binaries = args.logagent or [os.path.join(pl.REPO, "build-release", "logagent")]
    counts = [int(x) for x in args.files.split(",") if x]
    m = pl.machine()
    pl.say(f"machine: {m['nproc']} x {m['cpu']}, {m['mem']}, kernel {m['kernel']}, "
           f"commit {m['commit']}")
    print(f"| binary | idle files | CPU % of a core | wake-ups/s | peak RSS MiB | fds | "
          f"new line latency median / max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in counts:
        for b in binaries:
            runs = [run_one(b, n, args.seconds, args.lines, args.work_dir)
                    for _ in range(args.repeat)]

            def med(k: str) -> float:
                return statistics.median(r[k] for r in runs)
            print(f"| {b} | {n:,} | {med('cpu_pct'):.2f} | {med('wakeups'):,.0f} | "
                  f"{med('rss_mib'):.0f} | {med('fds'):,.0f} | "
                  f"{med('lat_med_ms'):.1f} / {med('lat_max_ms'):.1f} |", flush=True)
            records.append({"binary": b, "files": n,
                            **{k: med(k) for k in ("cpu_pct", "wakeups", "rss_mib", "fds",
                                                   "lat_med_ms", "lat_max_ms")}})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": m, "rows": records}, f, indent=1)


if __name__ == "__main__":
    main()
