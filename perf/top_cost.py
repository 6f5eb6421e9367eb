#!/usr/bin/env python3
"""What `logagent top` costs the agent it watches: the agent's CPU with and without a live
`logagent top` refreshing every second, and the CPU of one /metrics scrape.

It starts one agent (tail of --files idle files plus one file a writer appends --rate lines/s to,
file sink; metrics on a free port of 127.0.0.1), then alternates windows of --seconds: without
top, with `logagent top -c CONFIG` running live in a tmux pane (its default --interval 1), without,
with. Per window it measures the agent's user+system CPU (% of one core) and wake-ups/s, and
top's own CPU. Then it
scrapes /metrics --scrapes times back to back and divides the agent's CPU by the count: the
cost of one scrape, which is what top adds per refresh. Nothing is asserted; the figures are
printed (perf/README.md keeps those of record).

  python3 perf/top_cost.py --logagent build-release/logagent
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idle  # noqa: E402  (cpu_seconds, switches)
import perf_lib as pl  # noqa: E402


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read()


def window(pid: int, seconds: float) -> tuple[float, float]:
    cpu0, sw0, t0 = idle.cpu_seconds(pid), idle.switches(pid), time.monotonic()
    time.sleep(seconds)
    cpu1, sw1, t1 = idle.cpu_seconds(pid), idle.switches(pid), time.monotonic()
    return 100 * (cpu1 - cpu0) / (t1 - t0), (sw1 - sw0) / (t1 - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--logagent", default="build/logagent")
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--rate", type=int, default=1000, help="lines/s appended (0: idle)")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--scrapes", type=int, default=500)
    args = ap.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("perf/top_cost.py: needs tmux (packaging/bootstrap.sh installs it)")
    work = tempfile.mkdtemp(prefix="logagent-top-cost-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    for i in range(args.files):
        with open(os.path.join(logs, f"idle-{i}.log"), "w") as f:
            f.write("an idle line\n")
    port = free_port()
    cfg = os.path.join(work, "agent.yaml")
    pl.agent_config(cfg, name="app", data_dir=os.path.join(work, "data"), input_dir=logs,
                    sink={"type": "file", "path": os.path.join(work, "out.ndjson"),
                          "format": "raw"},
                    workers=2, buffer_pool="64MiB", metrics_listen=f"127.0.0.1:{port}")
    agent = subprocess.Popen([args.logagent, "run", "-c", cfg], stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(work, "agent.stderr"), "wb"))
    stop = threading.Event()

    def writer() -> None:
        n = 0
        with open(os.path.join(logs, "busy.log"), "a") as f:
            while not stop.is_set():
                for _ in range(args.rate // 10):
                    f.write(f"line {n} of the load\n")
                    n += 1
                f.flush()
                time.sleep(0.1)

    tmux = ["tmux", "-L", f"logagent-top-cost-{os.getpid()}", "-f", "/dev/null"]
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                body = scrape(port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("the agent's /metrics did not come up")
                time.sleep(0.1)
        if args.rate:
            threading.Thread(target=writer, daemon=True).start()
        time.sleep(2)
        pl.say(f"agent pid {agent.pid}, /metrics {len(body)} bytes, {args.files} idle files, "
               f"{args.rate} lines/s")
        rows = []
        for phase in ("without", "with", "without", "with"):
            if phase == "with":
                subprocess.run(tmux + ["new-session", "-d", "-s", "top", "-x", "100", "-y", "30",
                                       args.logagent, "top", "-c", cfg], check=True)
                time.sleep(2)  # its first scrapes are done
                top_pid = int(subprocess.run(tmux + ["display-message", "-p", "-t", "top",
                                                     "#{pane_pid}"], check=True,
                                             capture_output=True, text=True).stdout)
                top_cpu0 = idle.cpu_seconds(top_pid)
            cpu, wakeups = window(agent.pid, args.seconds)
            own = ""
            if phase == "with":
                own = (f"; top itself {100 * (idle.cpu_seconds(top_pid) - top_cpu0) / args.seconds:.2f}"
                       " % of a core")
                subprocess.run(tmux + ["kill-server"], check=False)
            rows.append((phase, cpu, wakeups))
            pl.say(f"{phase:8} top: agent CPU {cpu:.2f} % of a core, {wakeups:.0f} wake-ups/s{own}")
        cpu0 = idle.cpu_seconds(agent.pid)
        t0 = time.monotonic()
        for _ in range(args.scrapes):
            scrape(port)
        spent = idle.cpu_seconds(agent.pid) - cpu0
        elapsed = time.monotonic() - t0
        quiet = sum(c for p, c, _ in rows if p == "without") / 2 / 100 * elapsed
        per = max(spent - quiet, 0) / args.scrapes
        pl.say(f"{args.scrapes} scrapes back to back in {elapsed:.2f} s: agent CPU {spent:.3f} s "
               f"(minus {quiet:.3f} s of its own work): {per * 1000:.3f} ms per scrape, "
               f"= {per * 100:.3f} % of a core at one scrape a second")
    finally:
        stop.set()
        subprocess.run(tmux + ["kill-server"], check=False, capture_output=True)
        agent.terminate()
        agent.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
