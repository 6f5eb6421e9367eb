#!/usr/bin/env python3
"""What Kubernetes metadata costs the tail input (Python standard library only).

    python3 perf/bench_kubernetes.py [--logagent build/logagent] [--pods 8] [--lines 200000]
                                     [--repeat 3] [--api-pods 2000,10000]

Builds a kubelet layout in a temporary directory (<pods> pods, one container each, 0.log of
<lines> CRI-like lines of ~150 bytes, and /var/log/containers links into it), reads it once with
cat to warm the page cache, then runs `logagent run --once` over the links, each run with a fresh
data_dir, in two sinks:
  null   file -> null sink: the input's side (parsing the path once per file, the source fields
         riding on each batch)
  json   file -> file sink, format json: plus the encoder writing six more keys on every line
each with `kubernetes: true`, without it, and with `kubernetes: {api: ...}` (labels app and
team of each pod, from a fake API server: tests/e2e/kube_fake_server.py, HTTPS, listing
<api-pods> pods of ~5 KB each, the bench's among them, 500 a page; `wait: 30s` so that every
file is described with its labels; max_pods as many as listed). Prints the median wall time,
lines/s, CPU seconds (user+sys, wait4), CPU ns per line and peak RSS (VmHWM, polled) of each,
the metadata's cost in CPU beside the run without it, and for json the output's size and CPU
per GiB written (the keys make every object longer). The agent's summary line is checked: every
line read acknowledged. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import kube_fake_server as kube  # noqa: E402 (the path above first)

TOKEN = "bench-token"

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


def api_pods(bench_pods: int, total: int) -> list[dict]:
    """`total` pods of ~5 KB (2 KB of an annotation not selected, like the managedFields and
    last-applied-configuration of real pods), the bench's `bench_pods` among them."""
    pods = [kube.pod("shop", f"web-{p:02d}-7d9f8c6b5-x2x4z", f"0b5c6e1a-1111-2222-3333-{p:012d}",
                     {"app": "web", "team": "checkout", "pod-template-hash": "7d9f8c6b5"},
                     {"owner": "shop-team"}, padding=5000) for p in range(bench_pods)]
    pods += [kube.pod("other", f"pod-{i}", f"uid-{i}", {"app": f"app-{i % 50}", "team": "t"},
                      padding=5000) for i in range(max(total - bench_pods, 0))]
    return pods


def config(root: str, k8s: str, sink: str, n: int, api: dict | None = None) -> str:
    data = os.path.join(root, f"data-{n}")
    out = os.path.join(root, "out.ndjson")
    sink_yaml = ('{type: "null"}' if sink == "null" else
                 f'{{type: file, path: "{out}", format: json}}')
    k8s_yaml = {"plain": "",
                "kubernetes": "      kubernetes: true\n",
                "api": ("      kubernetes:\n        api: {enabled: true, labels: [app, team], "
                        f'server: "{api["server"]}", service_account_dir: "{api["sa"]}", '
                        f'node_name: node-a, wait: 30s, max_pods: {api["pods"]}}}\n'
                        if api else "")}[k8s]
    text = (f'data_dir: "{data}"\nmetrics: {{listen: ""}}\npipelines:\n  - name: bench\n'
            f'    workers: 2\n    input:\n      type: tail\n'
            f'      paths: ["{root}/var/log/containers/*.log"]\n'
            + k8s_yaml + f"    sinks: [{sink_yaml}]\n")
    path = os.path.join(root, f"config-{n}.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def poll_hwm(pid: int, exe: str, peak: list[int], done: threading.Event) -> None:
    """The agent's own VmHWM (wait4's ru_maxrss would include this Python's)."""
    while not done.is_set():
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == exe:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak[0] = max(peak[0], int(line.split()[1]) * 1024)
        except (OSError, ValueError):
            pass
        time.sleep(0.005)


def run(binary: str, cfg: str, want: int) -> tuple[float, float, int]:
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "run", "-c", cfg, "--once"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    peak, done = [0], threading.Event()
    poller = threading.Thread(target=poll_hwm,
                              args=(p.pid, os.path.realpath(binary), peak, done), daemon=True)
    poller.start()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    done.set()
    poller.join()
    m = SUMMARY_RE.search(err)
    if status != 0 or m is None or int(m.group(1)) != want or int(m.group(3)) != want:
        raise SystemExit(f"run failed (status {status}): {err[-500:]!r}")
    if b"no pod list" in err:
        raise SystemExit(f"the API server's list did not arrive in time: {err[-500:]!r}")
    return wall, ru.ru_utime + ru.ru_stime, peak[0]


def measure(args, root: str, total: int, sink: str, mode: str, n: int,
            api: dict | None) -> tuple[float, float, int, int]:
    """Median wall and CPU, the largest peak RSS, and the output's size, of `repeat` runs."""
    walls, cpus, peaks, out_bytes = [], [], [], 0
    for i in range(args.repeat):
        wall, cpu, peak = run(args.logagent, config(root, mode, sink, n * 100 + i, api), total)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
        with_out = os.path.join(root, "out.ndjson")
        if os.path.exists(with_out):
            out_bytes = os.path.getsize(with_out)
            os.unlink(with_out)
    return statistics.median(walls), statistics.median(cpus), max(peaks), out_bytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--logagent", default="build/logagent")
    ap.add_argument("--pods", type=int, default=8)
    ap.add_argument("--lines", type=int, default=500000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--api-pods", default="2000,10000",
                    help="pods the fake API server lists, one api run each (comma-separated)")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="logagent-bench-k8s-")
    servers = []
    try:
        total = make_layout(root, args.pods, args.lines)
        subprocess.run(f"cat {root}/var/log/pods/*/*/*.log > /dev/null", shell=True, check=True)
        sa = os.path.join(root, "serviceaccount")
        cert, key = kube.make_service_account(sa, TOKEN)
        modes: list[tuple[str, dict | None]] = [("plain", None), ("kubernetes", None)]
        for count in (int(c) for c in args.api_pods.split(",") if c):
            server = kube.FakeApiServer(TOKEN, cert, key)
            server.list_action = ("pages", kube.pod_list(api_pods(args.pods, count), "100"))
            server.watch_action = ("status", 410)  # --once ends before a watch matters
            servers.append(server)
            modes.append((f"api, {count} pods", {"server": f"https://127.0.0.1:{server.port}",
                                                 "sa": sa, "pods": count}))
        n = 0
        rows = []
        for sink in ("null", "json"):
            plain_cpu = 0.0
            for label, api in modes:
                n += 1
                mode = "api" if api else label
                w, c, peak, out_bytes = measure(args, root, total, sink, mode, n, api)
                plain_cpu = c if mode == "plain" else plain_cpu
                rows.append((sink, label, w, total / w, c, c / total * 1e9,
                             f"{(c / plain_cpu - 1) * 100:+.1f}%" if mode != "plain" else "",
                             peak / 2**20,
                             f"{out_bytes / 2**20:.0f}" if out_bytes else "-",
                             f"{c / (out_bytes / 2**30):.2f}" if out_bytes else "-"))
        print(f"{args.pods} files, {total} lines, median of {args.repeat} runs "
              f"({os.cpu_count()} CPUs, {args.logagent})\n")
        print("| sink | input | wall s | lines/s | CPU s | CPU ns/line | CPU vs plain | "
              "peak RSS MiB | output MiB | CPU s per output GiB |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for sink, mode, w, lps, c, ns, d, rss, out_mib, per_gib in rows:
            print(f"| {sink} | {mode} | {w:.2f} | {lps:,.0f} | {c:.2f} | {ns:.0f} | {d} | "
                  f"{rss:.1f} | {out_mib} | {per_gib} |")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
