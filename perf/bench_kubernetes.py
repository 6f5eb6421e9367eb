#!/usr/bin/env python3
"""What Kubernetes metadata costs the tail input (Python standard library only).

    python3 perf/bench_kubernetes.py [--logagent build/logagent] [--pods 8] [--lines 200000]
                                     [--repeat 3]

Builds a kubelet layout in a temporary directory (<pods> pods, one container each, 0.log of
<lines> CRI-like lines of ~150 bytes, and /var/log/containers links into it), reads it once with
cat to warm the page cache, then runs `logagent run --once` over the links, each run with a fresh
data_dir, in two sinks:
  null   file -> null sink: the input's side (parsing the path once per file, the source fields
         riding on each batch)
  json   file -> file sink, format json: plus the encoder writing six more keys on every line
each with `kubernetes: true` and without it. Prints the median wall time, lines/s and CPU
seconds (user+sys, wait4) of each, the metadata's cost in CPU beside the run without it, and
for json the output's size and CPU per GiB written (the six keys make every object longer).
The agent's summary line is checked: every line read acknowledged. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

SUMMARY_RE = re.compile(rb"logagent: done: (\d+) lines, (\d+) bytes read, (\d+) acknowledged")


def make_layout(root: str, pods: int, lines: int) -> int:
    total = 0
    links = os.path.join(root, "var", "log", "containers")
    os.makedirs(links)
    for p in range(pods):
        pod = f"web-{p:02d}-7d9f8c6b5-x2x4z"
        d = os.path.join(root, "var", "log", "pods", f"shop_{pod}_0b5c6e1a-1111-2222-3333-{p:012d}",
                         "app")
        os.makedirs(d)
        path = os.path.join(d, "0.log")
        with open(path, "wb") as f:
            chunk = []
            for i in range(lines):
                chunk.append(f"2026-12-06T10:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}."
                             f"{i % 1000:03d}000000Z stdout F GET /api/v1/items/{i} 200 "
                             f"{i * 7 % 9973}us user={i % 97} trace={i * 2654435761 % 2**32:08x} "
                             f"msg=\"request served\"\n")
                if len(chunk) == 10000:
                    f.write("".join(chunk).encode())
                    chunk.clear()
            f.write("".join(chunk).encode())
        total += lines
        os.symlink(path, os.path.join(links, f"{pod}_shop_app-{p:064x}.log"))
    return total


def config(root: str, k8s: bool, sink: str, n: int) -> str:
    data = os.path.join(root, f"data-{n}")
    out = os.path.join(root, "out.ndjson")
    sink_yaml = ('{type: "null"}' if sink == "null" else
                 f'{{type: file, path: "{out}", format: json}}')
    text = (f'data_dir: "{data}"\nmetrics: {{listen: ""}}\npipelines:\n  - name: bench\n'
            f'    workers: 2\n    input:\n      type: tail\n'
            f'      paths: ["{root}/var/log/containers/*.log"]\n'
            + ("      kubernetes: true\n" if k8s else "") + f"    sinks: [{sink_yaml}]\n")
    path = os.path.join(root, f"config-{n}.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(binary: str, cfg: str, want: int) -> tuple[float, float]:
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "run", "-c", cfg, "--once"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    m = SUMMARY_RE.search(err)
    if status != 0 or m is None or int(m.group(1)) != want or int(m.group(3)) != want:
        raise SystemExit(f"run failed (status {status}): {err[-500:]!r}")
    return wall, ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--logagent", default="build/logagent")
    ap.add_argument("--pods", type=int, default=8)
    ap.add_argument("--lines", type=int, default=500000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="logagent-bench-k8s-")
    try:
        total = make_layout(root, args.pods, args.lines)
        subprocess.run(f"cat {root}/var/log/pods/*/*/*.log > /dev/null", shell=True, check=True)
        n = 0
        rows = []
        for sink in ("null", "json"):
            cpu_of = {}
            for k8s in (False, True):
                walls, cpus, out_bytes = [], [], 0
                for _ in range(args.repeat):
                    n += 1
                    wall, cpu = run(args.logagent, config(root, k8s, sink, n), total)
                    walls.append(wall)
                    cpus.append(cpu)
                    with_out = os.path.join(root, "out.ndjson")
                    if os.path.exists(with_out):
                        out_bytes = os.path.getsize(with_out)
                        os.unlink(with_out)
                w, c = statistics.median(walls), statistics.median(cpus)
                cpu_of[k8s] = c
                rows.append((sink, "kubernetes" if k8s else "plain", w, total / w, c,
                             f"{(c / cpu_of[False] - 1) * 100:+.1f}%" if k8s else "",
                             f"{out_bytes / 2**20:.0f}" if out_bytes else "-",
                             f"{c / (out_bytes / 2**30):.2f}" if out_bytes else "-"))
        print(f"{args.pods} files, {total} lines, median of {args.repeat} runs "
              f"({os.cpu_count()} CPUs, {args.logagent})\n")
        print("| sink | input | wall s | lines/s | CPU s | CPU vs plain | output MiB | "
              "CPU s per output GiB |")
        print("|---|---|---|---|---|---|---|---|")
        for sink, mode, w, lps, c, d, out_mib, per_gib in rows:
            print(f"| {sink} | {mode} | {w:.2f} | {lps:,.0f} | {c:.2f} | {d} | {out_mib} | "
                  f"{per_gib} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
