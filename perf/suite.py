#!/usr/bin/env python3
"""Every performance case of logagent in one run, one table (Python standard library only).

    python3 perf/suite.py [--bytes 1GiB] [--repeat 3] [--no-build] [--no-kafka]
                          [--peer fluent-bit=/path/to/fluent-bit] [--peer otelcol=/path/to/otelcol]

1. Builds build-release/ (Release: logagent, loggen, kafka_ceiling) unless --no-build.
2. Runs, one after the other on the same inputs (perf/data/, cached):
     perf/bench.py        cat (the floor), file -> null, file -> file (raw), json parse -> null
                          and regex nginx -> null with workers: 1; the two parse cases again with
                          workers: 2 (scaling); file -> null over 1,000 files (the same bytes);
                          with --peer, the peer on the cases it supports
     perf/bench_kafka.py  a plain librdkafka producer (perf/kafka_ceiling: one message per line,
                          and one per 256 KiB), logagent record and batch mode (raw and json),
                          record raw with delivery: exactly_once (issue 15's goal: >= 80 % of
                          at-least-once record raw, paired), against a broker started by tests/kafka/kafka.sh on the same cores
                          (skipped by --no-kafka); with --peer otelcol=BIN, the Collector's
                          Kafka exporter on the same broker
     perf/idle.py         10,000 idle files: CPU, wake-ups, RSS, descriptors, new-line latency
3. Prints one Markdown table: MiB/s, CPU s/GiB, MiB per CPU-second, peak RSS, and each of issue
   14's goals marked met or not; the machine and the commit. --json PATH writes it as JSON too.

Medians of --repeat runs. Figures are for input in the page cache. The machine is whatever runs
this: on a shared one, compare rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from perf_lib import REPO, build, machine, say  # noqa: E402


def run_json(argv: list[str], out: str) -> dict:
    say("suite: " + " ".join(argv))
    subprocess.run([sys.executable] + argv + ["--json", out], check=True,
                   stdout=sys.stderr)
    with open(out) as f:
        return json.load(f)


def per_cpu(mib_s: float, cpu_s_per_gib: float) -> float:
    """MiB of input per CPU-second."""
    return 1024 / cpu_s_per_gib if cpu_s_per_gib > 0 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bytes", default="1GiB")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build-release"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-kafka", action="store_true", help="skip the Kafka cases (no Java)")
    ap.add_argument("--idle-files", type=int, default=10000)
    ap.add_argument("--idle-seconds", type=float, default=10.0, help="idle.py's quiet window")
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=BINARY",
                    help="a peer agent to run on the same data (perf/bench.py --peer)")
    ap.add_argument("--json", help="also write the table to this file as JSON")
    args = ap.parse_args()
    bdir = os.path.abspath(args.build_dir)
    if not args.no_build:
        build(bdir, 2, ["logagent", "loggen", "kafka_ceiling"], benchmarks=True)
    tmp = tempfile.mkdtemp(prefix="logagent-suite-")
    common = ["--no-build", "--build-dir", bdir, "--bytes", args.bytes,
              "--repeat", str(args.repeat)]
    bench = os.path.join(HERE, "bench.py")
    peers = [x for p in args.peer for x in ("--peer", p)]
    w1 = run_json([bench, *common, "--workers", "1", *peers,
                   "--cases", "cat,null,raw,parse-json,parse-nginx"], os.path.join(tmp, "w1.json"))
    w2 = run_json([bench, *common, "--workers", "2", "--cases", "parse-json,parse-nginx"],
                  os.path.join(tmp, "w2.json"))
    many = run_json([bench, *common, "--workers", "1", "--files", "1000", "--cases", "null"],
                    os.path.join(tmp, "many.json"))
    kafka = None
    if not args.no_kafka:
        kpeers = [p for p in args.peer if p.startswith("otelcol=")]
        kafka = run_json([os.path.join(HERE, "bench_kafka.py"), "--build-dir", bdir,
                          "--bytes", args.bytes, "--repeat", str(args.repeat),
                          "--cases", "ceiling-lines,ceiling-blocks,record-raw,eos-record-raw,"
                          "record-json,batch-raw,batch-json" +
                          (",otelcol-record-raw" if kpeers else ""),
                          "--rotate", *[x for p in kpeers for x in ("--peer", p)]],
                         os.path.join(tmp, "kafka.json"))
    idle = run_json([os.path.join(HERE, "idle.py"), "--logagent", os.path.join(bdir, "logagent"),
                     "--files", str(args.idle_files), "--seconds", str(args.idle_seconds),
                     "--repeat", str(args.repeat)],
                    os.path.join(tmp, "idle.json"))

    rows: list[dict] = []

    def row(case: str, mib_s: float, cpu: float, rss: float, note: str = "",
            goal: str = "") -> None:
        rows.append({"case": case, "mib_s": mib_s, "cpu_s_per_gib": cpu,
                     "mib_per_cpu_s": per_cpu(mib_s, cpu), "peak_rss_mib": rss, "note": note,
                     "goal": goal})

    by = {r["case"]: r for r in w1["rows"]}
    cat = by.get("cat > /dev/null (baseline)")
    for r in w1["rows"]:
        goal, note = "", r["note"]
        case = r["case"] + (" (workers 1)" if r["case"].startswith("logagent") else "")
        if r["case"] == "logagent file -> null" and cat:
            ratio = cat["mib_s"] / r["mib_s"]  # the agent's time over cat's
            goal = f"time ÷ cat's {ratio:.2f} (goal ≤ 1.5: {'met' if ratio <= 1.5 else 'not met'})"
        elif r["case"] == "logagent file -> file (raw)":
            goal = f"goal ≥ 1,500 MiB/s: {'met' if r['mib_s'] >= 1500 else 'not met'}"
        elif r["case"] == "logagent json parse -> null":
            pc = per_cpu(r["mib_s"], r["cpu_s_per_gib"])
            goal = f"goal ≥ 600 MiB per CPU-s: {'met' if pc >= 600 else 'not met'}"
        elif r["case"] == "logagent regex nginx -> null":
            pc = per_cpu(r["mib_s"], r["cpu_s_per_gib"])
            goal = f"goal ≥ 300 MiB per CPU-s: {'met' if pc >= 300 else 'not met'}"
        row(case, r["mib_s"], r["cpu_s_per_gib"], r["peak_rss_mib"], note, goal)
    for r in w2["rows"]:
        one = by.get(r["case"])
        scale = r["mib_s"] / one["mib_s"] if one else 0
        row(r["case"] + " (workers 2)", r["mib_s"], r["cpu_s_per_gib"], r["peak_rss_mib"],
            r["note"], f"{scale:.2f}× workers 1 (goal ≥ 1.8: {'met' if scale >= 1.8 else 'not met'})")
    for r in many["rows"]:
        row(r["case"] + " (1,000 files)", r["mib_s"], r["cpu_s_per_gib"], r["peak_rss_mib"],
            r["note"])
    if kafka:
        for r in kafka["rows"]:
            goal = ""
            if r["key"] == "record-raw":
                pct = r["of_ceiling"]
                met = pct.endswith("%") and float(pct.rstrip(" %")) >= 95
                goal = f"{pct} of the plain producer (goal ≥ 95 %: {'met' if met else 'not met'})"
            elif r["key"] == "eos-record-raw":
                pct = r["of_at_least_once"]
                met = pct.endswith("%") and float(pct.rstrip(" %")) >= 80
                goal = (f"{pct} of at-least-once record raw (goal ≥ 80 %: "
                        f"{'met' if met else 'not met'})")
            elif r["key"] != "ceiling-lines":
                goal = f"{r['of_ceiling']} of the plain producer"
            row(r["case"] + " (broker on the same cores)", r["mib_s"], r["cpu_s_per_gib"],
                r["peak_rss_mib"], f"broker CPU {r['broker_cpu_s']:.1f} s", goal)
    for r in idle["rows"]:
        rows.append({"case": f"logagent, {r['files']:,} idle files", "mib_s": None,
                     "cpu_s_per_gib": None, "mib_per_cpu_s": None, "peak_rss_mib": r["rss_mib"],
                     "note": f"{r['wakeups']:.0f} wake-ups/s, {r['fds']:.0f} fds, new line "
                             f"{r['lat_med_ms']:.1f} / {r['lat_max_ms']:.1f} ms (median / max)",
                     "goal": f"{r['cpu_pct']:.2f} % of a core (goal ≤ 0.2 %: "
                             f"{'met' if r['cpu_pct'] <= 0.2 else 'not met'})"})

    m = machine()
    print(f"\nMachine: {m['nproc']} x {m['cpu']}, {m['mem']} RAM, Linux {m['kernel']}; "
          f"{m['date']}; commit {m['commit']}; load at the end {m['load']}. Input "
          f"{args.bytes} per case (page cache warm), medians of {args.repeat}.\n")
    print("| case | MiB/s | CPU s/GiB | MiB per CPU-s | peak RSS MiB | goal | note |")
    print("|---|---:|---:|---:|---:|---|---|")

    def num(v: float | None, fmt: str) -> str:
        return "—" if v is None else format(v, fmt)
    for r in rows:
        print(f"| {r['case']} | {num(r['mib_s'], ',.0f')} | {num(r['cpu_s_per_gib'], '.2f')} | "
              f"{num(r['mib_per_cpu_s'], ',.0f')} | {r['peak_rss_mib']:.0f} | {r['goal']} | "
              f"{r['note']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": m, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
