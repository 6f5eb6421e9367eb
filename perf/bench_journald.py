#!/usr/bin/env python3
"""The journald input's throughput and CPU beside `journalctl -o export > /dev/null` on the same
journal.

Makes a journal directory of N entries with systemd-journal-remote (from an export stream
written here: ~120-byte messages, a unit, a pid, a priority, a hostname), then runs, each
--repeat times, and prints the best entries/s and the CPU seconds (user + system) of:
  - journalctl --directory DIR -o export > /dev/null   (libsystemd reading every field)
  - logagent run --once, journald input, null sink      (read, map, checkpoint)
  - logagent run --once, journald input, json file sink (plus encoding and writing)
Prints figures only; nothing is asserted.

    python3 perf/bench_journald.py --logagent build-release/logagent --entries 1000000
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

JOURNAL_REMOTE = "/usr/lib/systemd/systemd-journal-remote"


def export_stream(entries: int, start: int) -> bytes:
    base = 1_764_979_200_000_000
    parts = []
    for i in range(start, start + entries):
        parts.append(
            f"__REALTIME_TIMESTAMP={base + i}\n__MONOTONIC_TIMESTAMP={i + 1}\n"
            f"_BOOT_ID=0123456789abcdef0123456789abcdef\n"
            f"MESSAGE=GET /api/v1/orders/{i} 200 {i % 977} ms user={i % 5000} "
            f"trace={i * 2654435761 % 2**32:08x} msg=\"request served\"\n"
            f"PRIORITY={i % 8}\n_PID={1000 + i % 50}\n_SYSTEMD_UNIT=svc{i % 3}.service\n"
            f"_HOSTNAME=bench-host\n\n")
    return "".join(parts).encode()


def make_journal(directory: str, entries: int) -> None:
    path = os.path.join(directory, "bench.journal")
    step = 200_000
    for start in range(0, entries, step):
        n = min(step, entries - start)
        subprocess.run([JOURNAL_REMOTE, "-o", path, "-"], input=export_stream(n, start),
                       check=True, capture_output=True)


def timed(cmd: list[str], stdout) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL, check=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def agent_config(work: str, journal: str, sink: dict) -> str:
    data = os.path.join(work, "data")
    shutil.rmtree(data, ignore_errors=True)
    sink_yaml = "\n".join(f"        {k}: {v}" for k, v in sink.items())
    text = (f"data_dir: {data}\nmetrics:\n  listen: \"\"\npipelines:\n  - name: bench\n"
            f"    input:\n      type: journald\n      directory: {journal}\n"
            f"    sinks:\n      - {sink_yaml.strip()}\n")
    path = os.path.join(work, "bench.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logagent", default="build-release/logagent")
    ap.add_argument("--entries", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not os.access(JOURNAL_REMOTE, os.X_OK):
        sys.exit(f"{JOURNAL_REMOTE} is missing: packaging/bootstrap.sh installs it")
    work = tempfile.mkdtemp(prefix="logagent-bench-journald-")
    try:
        journal = os.path.join(work, "journal")
        os.makedirs(journal)
        t0 = time.monotonic()
        make_journal(journal, args.entries)
        size = sum(os.path.getsize(os.path.join(journal, f)) for f in os.listdir(journal))
        print(f"journal: {args.entries} entries, {size / 2**20:.0f} MiB on disk "
              f"(made in {time.monotonic() - t0:.1f} s)")
        out = os.path.join(work, "out.ndjson")
        cases = [
            ("journalctl -o export > /dev/null",
             lambda: ["journalctl", "--directory", journal, "-o", "export", "--no-pager"], True),
            ("logagent journald -> null",
             lambda: [args.logagent, "run", "--once", "-c",
                      agent_config(work, journal, {"type": '"null"'})], False),
            ("logagent journald -> file (json)",
             lambda: [args.logagent, "run", "--once", "-c",
                      agent_config(work, journal, {"type": "file", "path": out,
                                                   "format": "json"})], False),
        ]
        print(f"{'case':36} {'entries/s':>12} {'CPU s':>8} {'wall s':>8}")
        for name, cmd, to_null in cases:
            best = None
            for _ in range(args.repeat):
                if os.path.exists(out):
                    os.unlink(out)
                with open(os.devnull, "wb") as devnull:
                    wall, cpu = timed(cmd(), devnull if to_null else None)
                if best is None or wall < best[0]:
                    best = (wall, cpu)
            wall, cpu = best
            print(f"{name:36} {args.entries / wall:12,.0f} {cpu:8.2f} {wall:8.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
