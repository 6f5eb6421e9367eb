"""What perf/bench.py, perf/bench_kafka.py and perf/soak.py share (Python standard library only):
sizes, logging to stderr, the Release build, the agent's configuration and the machine."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITS = {"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
         "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
MiB = 1 << 20
GiB = 1 << 30
SUMMARY_RE = re.compile(r"logagent: done: (\d+) lines, (\d+) bytes read, (\d+) acknowledged, "
                        r"(\d+) failed, ([0-9.]+) s")


def parse_size(text: str) -> int:
    m = re.fullmatch(r"(\d+)\s*([A-Za-z]*)", text.strip())
    if not m or m.group(2) not in UNITS:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (use e.g. 256MiB, 1GiB)")
    return int(m.group(1)) * UNITS[m.group(2)]


def human_size(n: int) -> str:
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        if n >= UNITS[unit] and n % UNITS[unit] == 0:
            return f"{n // UNITS[unit]}{unit}"
    return f"{n}B"


def say(*parts: object, stamp: bool = False) -> None:
    """A progress line on stderr; stamp=True starts it with the time of day (long runs)."""
    prefix = (f"[{time.strftime('%H:%M:%S')}]",) if stamp else ()
    print(*prefix, *parts, file=sys.stderr, flush=True)


def run_checked(argv: list[str], **kw) -> None:
    say("+ " + " ".join(argv))
    subprocess.run(argv, check=True, **kw)


def build(build_dir: str, jobs: int, targets: list[str], benchmarks: bool,
          configure_once: bool = False) -> None:
    """A Release build of `targets` in build_dir (no tests). configure_once: run cmake's
    configure step only when build_dir has none yet."""
    if not (configure_once and os.path.exists(os.path.join(build_dir, "build.ninja"))):
        run_checked(["cmake", "-S", REPO, "-B", build_dir, "-G", "Ninja",
                     "-DCMAKE_BUILD_TYPE=Release", "-DLOGAGENT_TESTS=OFF",
                     f"-DLOGAGENT_BENCHMARKS={'ON' if benchmarks else 'OFF'}"],
                    stdout=subprocess.DEVNULL)
    run_checked(["cmake", "--build", build_dir, "-j", str(jobs), "--target", *targets])


def flow_map(d: dict) -> str:
    """{k: v, ...} as a YAML flow map, each value JSON-quoted (valid YAML)."""
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in d.items()) + "}"


def agent_config(path: str, *, name: str, data_dir: str, input_dir: str, sink: dict,
                 workers: int, buffer_pool: str, stages: list | None = None,
                 metrics_listen: str = "", delivery: str = "") -> None:
    """Writes a one-pipeline configuration: tail of input_dir/*.log -> stages -> sink
    (delivery: the pipeline's, e.g. exactly_once; empty: the default)."""
    stages_yaml = ""
    if stages:
        stages_yaml = "    stages:\n" + "".join(f"      - {flow_map(st)}\n" for st in stages)
    with open(path, "w") as f:
        f.write(f"""data_dir: {json.dumps(data_dir)}
metrics: {{listen: {json.dumps(metrics_listen)}}}
memory: {{buffer_pool: {buffer_pool}}}
pipelines:
  - name: {name}
    workers: {workers}
{f"    delivery: {delivery}{chr(10)}" if delivery else ""}    input: {{type: tail, paths: [{json.dumps(os.path.join(input_dir, '*.log'))}]}}
{stages_yaml}    sinks:
      - {flow_map(sink)}
""")


def machine() -> dict:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / (1 << 20):.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain"],
                           capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": model, "mem": mem,
            "kernel": platform.release(), "date": datetime.date.today().isoformat(),
            "commit": commit + ("+uncommitted changes" if dirty else ""),
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
