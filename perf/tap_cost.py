#!/usr/bin/env python3
"""What an attached `logagent tap` costs the pipeline it samples: tail -> null throughput (MiB/s),
CPU s/GiB and peak RSS with no tap, and with a tap attached (at its default rate, 100 events/s,
and at its highest, 10,000 events/s).

For each case and each of --runs runs it starts a fresh agent (tail of an empty directory -> null
sink, `workers: 2`, metrics on a free port of 127.0.0.1), attaches the tap if the case has one
(stdout to /dev/null) and waits until it streams, then hard-links a pre-written file of --size
(json lines of ~200 bytes) into the directory and polls /metrics every 20 ms until the sink has
acknowledged every line. MiB/s and CPU s/GiB are over that span (the agent's user+system CPU
from /proc; the tap client's is not counted); peak RSS is the agent's VmHWM at the end. The
median run of each case is printed. Nothing is asserted; perf/README.md keeps the figures of
record.

  python3 perf/tap_cost.py --logagent build-release/logagent
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idle  # noqa: E402  (cpu_seconds)
import perf_lib as pl  # noqa: E402

CASES = {"no tap": None, "tap, 100 events/s": ["--rate", "100"],
         "tap, 10000 events/s": ["--rate", "10000"]}


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(port: int, name: str) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return -1
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def vm_hwm(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def write_data(path: str, size: int) -> int:
    line = b'{"time":"2026-12-06T10:00:00Z","level":"info","user":"u%07d","path":"/api/v1/items",' \
           b'"status":200,"ms":12,"msg":"request served to the client without trouble"}\n'
    n = 0
    with open(path, "wb") as f:
        written = 0
        while written < size:
            chunk = b"".join(line % (n + i) for i in range(1000))
            f.write(chunk)
            written += len(chunk)
            n += 1000
    return n


def run_case(args: argparse.Namespace, work: str, data: str, lines: int,
             tap_args: list[str] | None) -> dict:
    run_dir = tempfile.mkdtemp(dir=work)
    logs = os.path.join(run_dir, "logs")
    os.makedirs(logs)
    port = free_port()
    cfg = os.path.join(run_dir, "agent.yaml")
    pl.agent_config(cfg, name="app", data_dir=os.path.join(run_dir, "data"), input_dir=logs,
                    sink={"type": "null"}, workers=2, buffer_pool="64MiB",
                    metrics_listen=f"127.0.0.1:{port}")
    agent = subprocess.Popen([args.logagent, "run", "-c", cfg], stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(run_dir, "agent.stderr"), "wb"))
    tap = None
    try:
        while metric(port, "logagent_buffer_pool_capacity") <= 0:
            time.sleep(0.02)
        if tap_args is not None:
            tap = subprocess.Popen([args.logagent, "tap", "app", "--url",
                                    f"http://127.0.0.1:{port}", *tap_args],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while metric(port, "logagent_tap_sessions") < 1:
                time.sleep(0.02)
        cpu0, t0 = idle.cpu_seconds(agent.pid), time.monotonic()
        os.link(data, os.path.join(logs, "data.log"))
        while metric(port, "logagent_sink_events_total") < lines:
            time.sleep(0.02)
        cpu1, t1 = idle.cpu_seconds(agent.pid), time.monotonic()
        sent = metric(port, "logagent_tap_events_total")
        rss = vm_hwm(agent.pid)
    finally:
        if tap is not None:
            tap.terminate()
            tap.wait()
        agent.terminate()
        agent.wait()
    size = os.path.getsize(data)
    return {"mibs": size / (1 << 20) / (t1 - t0), "cpu_gib": (cpu1 - cpu0) / (size / (1 << 30)),
            "rss": rss, "tapped": sent}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--logagent", default="build/logagent")
    ap.add_argument("--size", default="512MiB")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="logagent-tap-cost-")
    try:
        data = os.path.join(work, "data.log")
        lines = write_data(data, pl.parse_size(args.size))
        m = pl.machine()
        pl.say(f"machine: {m['nproc']} x {m['cpu']}, {m['mem']}, kernel {m['kernel']}, "
               f"commit {m['commit']}, load {m['load']}")
        pl.say(f"{os.path.getsize(data) / (1 << 20):.0f} MiB, {lines} lines; median of "
               f"{args.runs} run(s)")
        pl.say(f"{'case':<22} {'MiB/s':>8} {'CPU s/GiB':>10} {'peak RSS':>10} {'events tapped':>14}")
        for name, tap_args in CASES.items():
            runs = [run_case(args, work, data, lines, tap_args) for _ in range(args.runs)]
            mid = sorted(runs, key=lambda r: r["mibs"])[len(runs) // 2]
            pl.say(f"{name:<22} {mid['mibs']:>8.0f} {statistics.median(r['cpu_gib'] for r in runs):>10.2f} "
                   f"{mid['rss'] / (1 << 20):>8.0f} MiB {mid['tapped']:>14.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
