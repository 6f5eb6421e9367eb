#!/usr/bin/env python3
"""End-to-end throughput benchmark of logagent (Python standard library only).

    python3 perf/bench.py [--bytes 1GiB] [--line-bytes 200] [--files 4] [--repeat 3]

1. Builds a Release tree (build-release/: logagent and perf/loggen) unless --no-build.
2. Generates the input with loggen into perf/data/<size>-<line>-<files>-s<seed>/, reused when it
   exists (cached by size, line length, file count and seed).
3. Reads the input once with cat to warm the page cache. Nothing is ever evicted from the page
   cache (that needs root and would measure the disk, not the agent): every figure below is for
   input that is already in memory.
4. Measures, each run with a fresh data_dir (so everything is read):
     cat      cat of the files to /dev/null: read(2) from the page cache (writes to /dev/null
              cost nothing) -- the floor for getting the bytes into user space
     wc       wc -l of the files: read(2) plus a newline scan, one thread -- the floor for
              framing lines
     null     logagent run --once, file -> null sink
     raw      logagent run --once, file -> file sink, format raw
     json     logagent run --once, file -> file sink, format json
   and, over generated inputs of the same size in a given format (json objects or nginx
   combined access lines, made by this script and cached like loggen's):
     parse-json       file -> null, stages: json
     parse-json-ts    file -> null, stages: json, timestamp (rfc3339 field "time")
     parse-json-file  file -> file sink (json), stages: json: parse + the json encoder
     parse-nginx      file -> null, stages: regex (built-in nginx format)
   wall time, MiB/s and lines/s of input, CPU seconds (user+sys, from wait4(2)) per GiB of
   input, and the process's own peak RSS (GNU time's %M, else /proc VmHWM polling -- not wait4's
   ru_maxrss, which includes this Python's RSS at spawn). The output file of the file sinks
   lives in the build tree on the same file system and is deleted after each run; its write
   speed (page cache, then writeback) is part of what raw/json measure.
5. Prints a Markdown table (paste it into perf/README.md) and the machine it ran on.

The agent's summary line is checked: every line read must be acknowledged, none failed.

--peer fluent-bit=BINARY runs a Fluent Bit the user built or installed (never built here) on the
same inputs for the cases null, raw, parse-json and parse-nginx: tail with read_from_head and
exit_on_eof (it exits once every file is read to its end, after its Grace of 1 s, which is in
its wall time but not in its CPU), the same parse (its json parser; the nginx combined regex
without time parsing, like logagent's) and a null or file output. The file output's line count
is checked; a null output's is not (noted). --peer otelcol=BINARY runs an OpenTelemetry Collector
with the filelog receiver on null, parse-json and parse-nginx, stock and with the batch processor,
and waits until every line is counted at its exporter (perf/peer_otelcol.py says how). --json PATH
also writes the rows as JSON (perf/suite.py reads them).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peer_otelcol  # noqa: E402
from perf_lib import (GiB, MiB, REPO, SUMMARY_RE, agent_config, build, human_size,  # noqa: E402
                      machine, parse_size, say)


def generate(loggen: str, data_root: str, size: int, line_bytes: int, files: int,
             seed: int) -> tuple[str, list[str], int, int]:
    """Returns (dir, files, lines, bytes), generating only when not cached."""
    d = os.path.join(data_root, f"{human_size(size)}-{line_bytes}-{files}-s{seed}")
    stamp = os.path.join(d, "loggen.json")
    if os.path.exists(stamp):
        with open(stamp) as f:
            meta = json.load(f)
        paths = [os.path.join(d, p) for p in meta["files"]]
        if all(os.path.exists(p) for p in paths) and \
                sum(os.path.getsize(p) for p in paths) == meta["bytes"]:
            say(f"input: cached {d} ({meta['lines']} lines, {meta['bytes']} bytes)")
            return d, paths, meta["lines"], meta["bytes"]
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    say(f"input: generating {human_size(size)} of {line_bytes}-byte lines in {files} files")
    out = subprocess.run([loggen, "--out", d, "--files", str(files), "--bytes", str(size),
                          "--line-bytes", str(line_bytes), "--seed", str(seed)],
                         check=True, capture_output=True, text=True).stdout
    say(out.strip())
    m = re.search(r"wrote (\d+) lines, (\d+) bytes", out)
    if not m:
        sys.exit(f"cannot parse loggen output: {out!r}")
    names = sorted(n for n in os.listdir(d) if n.endswith(".log"))
    meta = {"lines": int(m.group(1)), "bytes": int(m.group(2)), "files": names}
    with open(stamp, "w") as f:
        json.dump(meta, f)
    return d, [os.path.join(d, n) for n in names], meta["lines"], meta["bytes"]


FORMATS = ("json", "nginx")
BLOCK_BYTES = 4 << 20  # distinct lines per block; files repeat the block


def format_block(kind: str, seed: int, line_bytes: int) -> bytes:
    """~4 MiB of distinct lines of `kind` with a mean length near line_bytes."""
    import random
    rng = random.Random(seed)
    levels = ["info", "info", "info", "warn", "error", "debug"]
    paths = ["/api/v1/users/12345", "/api/v1/orders?page=2&sort=desc", "/healthz",
             "/static/app.3f9a1c.js", "/api/v2/search?q=caf%C3%A9&limit=50"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0 Safari/537.36", "curl/8.4.0", "Go-http-client/1.1"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec"]
    out = []
    size = 0
    i = 0
    while size < BLOCK_BYTES:
        t = 1714566896 + i // 50
        pad = "x" * max(0, rng.randint(line_bytes // 2, line_bytes * 3 // 2) - 170)
        if kind == "json":
            dt = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
            line = json.dumps({
                "time": f"{dt:%Y-%m-%dT%H:%M:%S}.{rng.randrange(10**6):06d}Z",
                "level": levels[i % 6], "msg": f"request {i} served" + pad,
                "method": "GET", "path": paths[i % 5], "status": [200, 404, 500, 304][i % 4],
                "latency_ms": round(rng.random() * 100, 3), "bytes": rng.randrange(100000),
                "trace_id": f"{rng.getrandbits(64):016x}", "cached": i % 3 == 0},
                separators=(",", ":"))
        else:
            dt = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
            line = (f"10.{i % 256}.{(i * 7) % 256}.{(i * 13) % 256} - - "
                    f"[{dt.day:02d}/{months[dt.month - 1]}/{dt.year}:{dt:%H:%M:%S} +0000] "
                    f"\"GET {paths[i % 5]}{'&p=' + pad if pad else ''} HTTP/1.1\" "
                    f"{[200, 404, 500, 304][i % 4]} {rng.randrange(100000)} "
                    f"\"https://example.com/{i % 97}\" \"{agents[i % 3]}\"")
        b = line.encode() + b"\n"
        out.append(b)
        size += len(b)
        i += 1
    return b"".join(out)


def generate_formatted(kind: str, data_root: str, size: int, line_bytes: int, files: int,
                       seed: int) -> tuple[str, list[str], int, int]:
    """Like generate(), for json or nginx lines: each file is `size / files` bytes (cut at the
    last whole line) of a repeated ~4 MiB block of distinct lines. File k starts k/files of the
    way into the block, so no two files begin alike (the Collector's filelog receiver takes
    files whose first KiB is the same for one file and reads only one of them)."""
    d = os.path.join(data_root, f"{kind}-{human_size(size)}-{line_bytes}-{files}-s{seed}")
    stamp = os.path.join(d, "meta.json")
    if os.path.exists(stamp):
        with open(stamp) as f:
            meta = json.load(f)
        paths = [os.path.join(d, p) for p in meta["files"]]
        if all(os.path.exists(p) for p in paths) and meta.get("rotated") and \
                sum(os.path.getsize(p) for p in paths) == meta["bytes"]:
            say(f"input: cached {d} ({meta['lines']} lines, {meta['bytes']} bytes)")
            return d, paths, meta["lines"], meta["bytes"]
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    say(f"input: generating {human_size(size)} of {kind} lines in {files} files")
    first = format_block(kind, seed, line_bytes)
    block_lines = first.count(b"\n")
    names, lines, total = [], 0, 0
    share = size // files
    for k in range(files):
        cut = first.find(b"\n", k * len(first) // files) + 1 if k else 0
        block = first[cut:] + first[:cut]
        name = f"{kind}-{k:02d}.log"
        with open(os.path.join(d, name), "wb") as f:
            left = share
            while left >= len(block):
                f.write(block)
                left -= len(block)
                lines += block_lines
            tail = block[:left]
            tail = tail[:tail.rfind(b"\n") + 1]
            f.write(tail)
            lines += tail.count(b"\n")
            total += share - left + len(tail)
        names.append(name)
    meta = {"lines": lines, "bytes": total, "files": names, "rotated": True}
    with open(stamp, "w") as f:
        json.dump(meta, f)
    return d, [os.path.join(d, n) for n in names], lines, total


GNU_TIME = "/usr/bin/time"
TIME_TAG = "BENCH-PEAK-RSS-KIB"


def has_gnu_time() -> bool:
    if not os.access(GNU_TIME, os.X_OK):
        return False
    p = subprocess.run([GNU_TIME, "-f", f"{TIME_TAG} %M", "true"], capture_output=True,
                       text=True)
    return p.returncode == 0 and TIME_TAG in p.stderr


def poll_hwm(pid: int, exe: str, result: dict) -> None:
    """Peak RSS by polling /proc/PID/status (when GNU time is not installed)."""
    while "done" not in result:
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == exe:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            result["hwm"] = max(result.get("hwm", 0), int(line.split()[1]) * 1024)
        except (OSError, ValueError):
            pass
        time.sleep(0.002)


def measure(argv: list[str], cwd: str | None = None, gnu_time: bool = True) -> dict:
    """Runs argv: wall time, CPU (user, sys) from wait4, peak RSS of the process itself.

    Peak RSS does not come from wait4: a child spawned by this Python process starts with
    Python's RSS as its high-water mark (Linux carries it over exec), so ru_maxrss would never
    read below ~16 MiB. GNU time forks from a small process and reports the real figure (%M);
    without it /proc/PID/status VmHWM is polled every 2 ms."""
    import threading
    cmd = [GNU_TIME, "-f", f"{TIME_TAG} %M"] + argv if gnu_time else argv
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    hwm: dict = {}
    if not gnu_time:
        threading.Thread(target=poll_hwm, args=(p.pid, os.path.realpath(argv[0]), hwm),
                         daemon=True).start()
    # stderr is small (a few lines); read it to EOF, then reap with wait4 for the rusage.
    err = p.stderr.read().decode("utf-8", "replace")
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    hwm["done"] = True
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    maxrss = hwm.get("hwm", 0)
    if gnu_time:
        m = re.search(TIME_TAG + r" (\d+)", err)
        maxrss = int(m.group(1)) * 1024 if m else 0
        err = re.sub(r"(Command exited with non-zero status \d+\n)?" + TIME_TAG + r" \d+\n?",
                     "", err)
    return {"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "maxrss": maxrss,
            "rc": p.returncode, "stderr": err}


PEERS = ["fluent-bit", "otelcol"]
# The cases a peer runs, and what its row is called.
PEER_CASES = {"null": "file -> null", "raw": "file -> file (raw)",
              "parse-json": "json parse -> null", "parse-nginx": "regex nginx -> null"}
# Fluent Bit's nginx parser (conf/parsers.conf) without its Time_Key: logagent's regex stage does
# not parse the time either.
FLUENT_BIT_PARSERS = r"""[PARSER]
    Name   bench_nginx
    Format regex
    Regex  ^(?<remote>[^ ]*) (?<host>[^ ]*) (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^\"]*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>[^\"]*)" "(?<agent>[^\"]*)")

[PARSER]
    Name   bench_json
    Format json
"""


def fluent_bit_config(case: str, input_dir: str, work: str, run: int) -> tuple[str, str | None]:
    """A Fluent Bit configuration for `case` (classic format), and its output file if any."""
    parsers = os.path.join(work, "fluent-bit-parsers.conf")
    with open(parsers, "w") as f:
        f.write(FLUENT_BIT_PARSERS)
    parser = {"parse-json": "bench_json", "parse-nginx": "bench_nginx"}.get(case)
    out = os.path.join(work, f"fluent-bit-{case}-{run}.out") if case == "raw" else None
    output = ("    Name null\n" if out is None else
              f"    Name file\n    Path {work}\n    File {os.path.basename(out)}\n"
              "    Format template\n    Template {log}\n")
    cfg = os.path.join(work, f"fluent-bit-{case}.conf")
    with open(cfg, "w") as f:
        f.write(f"""[SERVICE]
    Flush        1
    Grace        1
    Log_Level    warn
    Parsers_File {parsers}

[INPUT]
    Name            tail
    Path            {os.path.join(input_dir, '*.log')}
    Read_from_Head  true
    Exit_On_Eof     true
    Buffer_Max_Size 1MB
{f'    Parser          {parser}' if parser else ''}

[OUTPUT]
{output}    Match *
""")
    return cfg, out


def run_fluent_bit(binary: str, case: str, input_dir: str, lines: int, work: str, run: int,
                   gnu_time: bool) -> dict:
    cfg, out = fluent_bit_config(case, input_dir, work, run)
    r = measure([binary, "-c", cfg], cwd=work, gnu_time=gnu_time)
    if r["rc"] != 0:
        say(r["stderr"])
        sys.exit(f"fluent-bit {case}: exited {r['rc']}")
    r["out_bytes"] = 0
    if out is None:
        r["note"] = "records not counted (null output)"
    else:
        got = 0
        if os.path.exists(out):
            r["out_bytes"] = os.path.getsize(out)
            with open(out, "rb") as f:
                got = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
            os.unlink(out)
        if got != lines:
            r["note"] = f"INCOMPLETE: {got} of {lines} lines"
    cpu = r["user"] + r["sys"]
    say(f"  fluent-bit {case} run {run + 1}: {r['wall']:.3f} s wall, cpu {cpu:.2f} s, "
        f"rss {r['maxrss'] / MiB:.1f} MiB")
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bytes", type=parse_size, default=GiB, help="input size (default 1GiB)")
    ap.add_argument("--line-bytes", type=int, default=200, help="mean line length (200)")
    ap.add_argument("--files", type=int, default=4, help="input files (4)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="pipeline workers (lanes) (2)")
    ap.add_argument("--buffer-pool", default="64MiB", help="memory.buffer_pool (64MiB)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the median is shown")
    ap.add_argument("--cases", default="cat,wc,null,raw,json",
                    help="comma-separated subset of cat,wc,null,raw,json,parse-json,"
                         "parse-json-ts,parse-json-file,parse-nginx")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build-release"))
    ap.add_argument("--no-build", action="store_true", help="use the existing build")
    ap.add_argument("--logagent", help="binary to measure (implies --no-build for it)")
    ap.add_argument("--loggen", help="loggen binary (default <build-dir>/perf/loggen)")
    ap.add_argument("--data-dir", default=os.path.join(REPO, "perf", "data"),
                    help="where generated input is cached (perf/data, git-ignored)")
    ap.add_argument("--jobs", type=int, default=2, help="build parallelism (2)")
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=BINARY",
                    help="also run a peer agent on the same cases (NAME: fluent-bit, otelcol)")
    ap.add_argument("--json", help="also write the rows to this file as JSON")
    args = ap.parse_args()
    peers = []
    for spec in args.peer:
        name, _, binary = spec.partition("=")
        if name not in PEERS or not binary:
            sys.exit(f"--peer {spec!r}: expected NAME=BINARY with NAME one of {', '.join(PEERS)}")
        if not os.access(binary, os.X_OK):
            sys.exit(f"--peer {spec!r}: {binary} is not an executable")
        peers.append((name, os.path.abspath(binary)))

    if not args.no_build and not args.logagent:
        build(args.build_dir, args.jobs, ["logagent", "loggen"], benchmarks=True)
    logagent = os.path.abspath(args.logagent or os.path.join(args.build_dir, "logagent"))
    loggen = os.path.abspath(args.loggen or os.path.join(args.build_dir, "perf", "loggen"))
    for exe in (logagent, loggen):
        if not os.access(exe, os.X_OK):
            sys.exit(f"not built: {exe} (drop --no-build, or pass --logagent/--loggen)")

    args.data_dir = os.path.abspath(args.data_dir)
    input_dir, files, lines, size = generate(loggen, args.data_dir, args.bytes, args.line_bytes,
                                             args.files, args.seed)
    # Absolute: the agent runs with cwd=work, and the config and sink paths must not depend on it.
    work = os.path.abspath(os.path.join(args.build_dir, "bench-work"))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    gnu_time = has_gnu_time()
    say(f"peak RSS from {'GNU time (%M)' if gnu_time else '/proc/PID/status VmHWM polling'}")
    say("page cache: input warmed with cat; nothing is dropped from the page cache "
        "(figures are for cached input)")
    subprocess.run(["cat"] + files, stdout=subprocess.DEVNULL, check=True)

    sinks = {
        "null": ({"type": "null"}, None),
        "raw": ({"type": "file", "path": os.path.join(work, "out.raw"), "format": "raw"},
                os.path.join(work, "out.raw")),
        "json": ({"type": "file", "path": os.path.join(work, "out.ndjson"), "format": "json"},
                 os.path.join(work, "out.ndjson")),
    }
    labels = {"cat": "cat > /dev/null (baseline)", "wc": "wc -l (baseline)",
              "null": "logagent file -> null", "raw": "logagent file -> file (raw)",
              "json": "logagent file -> file (json)",
              "parse-json": "logagent json parse -> null",
              "parse-json-ts": "logagent json + timestamp -> null",
              "parse-json-file": "logagent json parse -> file (json)",
              "parse-nginx": "logagent regex nginx -> null"}
    # Parse cases: (input format, stages, sink).
    parse_cases = {
        "parse-json": ("json", [{"type": "json"}], "null"),
        "parse-json-ts": ("json", [{"type": "json"}, {"type": "timestamp"}], "null"),
        "parse-json-file": ("json", [{"type": "json"}], "json"),
        "parse-nginx": ("nginx", [{"type": "regex", "format": "nginx"}], "null"),
    }
    inputs = {"loggen": (input_dir, files, lines, size)}
    rows = []
    records = []

    def add_row(label: str, runs: list[dict], size: int, lines: int) -> None:
        r = sorted(runs, key=lambda x: x["wall"])[len(runs) // 2]  # median by wall time
        cpu = r["user"] + r["sys"]
        rows.append([label, f"{r['wall']:.3f}", f"{size / MiB / r['wall']:.0f}",
                     f"{lines / r['wall'] / 1e6:.2f}", f"{cpu / (size / GiB):.2f}",
                     f"{r['user']:.2f}", f"{r['sys']:.2f}", f"{r['maxrss'] / MiB:.1f}",
                     f"{r['out_bytes'] / MiB:.0f}" if r["out_bytes"] else "-",
                     r.get("note", "")])
        records.append({"case": label, "wall_s": r["wall"], "mib_s": size / MiB / r["wall"],
                        "cpu_s_per_gib": cpu / (size / GiB), "peak_rss_mib": r["maxrss"] / MiB,
                        "bytes": size, "lines": lines, "workers": args.workers,
                        "note": r.get("note", "")})

    for case in [c.strip() for c in args.cases.split(",") if c.strip()]:
        if case not in labels:
            sys.exit(f"unknown case {case!r}; known: {', '.join(labels)}")
        kind, stages, sink_name = parse_cases.get(case, ("loggen", None, case))
        if kind not in inputs:
            inputs[kind] = generate_formatted(kind, args.data_dir, args.bytes, args.line_bytes,
                                              args.files, args.seed)
            subprocess.run(["cat"] + inputs[kind][1], stdout=subprocess.DEVNULL, check=True)
        case_dir, case_files, lines, size = inputs[kind]
        runs = []
        for i in range(args.repeat):
            if case in ("cat", "wc"):
                r = measure(["cat"] + case_files if case == "cat" else ["wc", "-l"] + case_files,
                            gnu_time=gnu_time)
                r["out_bytes"] = 0
            else:
                sink, out = sinks[sink_name]
                data_dir = os.path.join(work, f"data-{case}-{i}")
                cfg = os.path.join(work, f"{case}.yaml")
                agent_config(cfg, name="bench", data_dir=data_dir, input_dir=case_dir, sink=sink,
                             workers=args.workers, buffer_pool=args.buffer_pool, stages=stages)
                r = measure([logagent, "run", "-c", cfg, "--once"], cwd=work, gnu_time=gnu_time)
                m = SUMMARY_RE.search(r["stderr"])
                if r["rc"] != 0 or not m:
                    say(r["stderr"])
                    sys.exit(f"{case}: logagent exited {r['rc']} "
                             f"{'without a summary line' if not m else ''}")
                got_lines, got_bytes, acked, failed = (int(m.group(k)) for k in range(1, 5))
                r["agent_s"] = float(m.group(5))
                if (got_lines, got_bytes, acked, failed) != (lines, size, lines, 0):
                    say(f"WARNING {case}: summary {m.group(0)!r}; expected {lines} lines, "
                        f"{size} bytes, all acknowledged")
                    r["note"] = "INCOMPLETE"
                r["out_bytes"] = os.path.getsize(out) if out and os.path.exists(out) else 0
                if out and os.path.exists(out):
                    os.unlink(out)
                shutil.rmtree(data_dir, ignore_errors=True)
            cpu = r["user"] + r["sys"]
            say(f"  {case} run {i + 1}: {r['wall']:.3f} s wall, {size / MiB / r['wall']:.0f} MiB/s,"
                f" cpu {cpu:.2f} s, rss {r['maxrss'] / MiB:.1f} MiB")
            runs.append(r)
        add_row(labels[case], runs, size, lines)
        for name, binary in peers:
            if case not in PEER_CASES:
                continue
            if name == "otelcol":
                for label, batch in peer_otelcol.VARIANTS.items():
                    if case in peer_otelcol.CASES:
                        runs = [peer_otelcol.run(binary, case, case_dir, lines, work, i, batch)
                                for i in range(args.repeat)]
                        add_row(f"{label} {PEER_CASES[case]}", runs, size, lines)
                continue
            runs = [run_fluent_bit(binary, case, case_dir, lines, work, i, gnu_time)
                    for i in range(args.repeat)]
            add_row(f"{name} {PEER_CASES[case]}", runs, size, lines)

    mach = machine()
    header = ["case", "wall s", "MiB/s", "M lines/s", "CPU s/GiB", "user s", "sys s",
              "peak RSS MiB", "output MiB", "note"]
    size = inputs["loggen"][3]
    lines = inputs["loggen"][2]
    others = "".join(f"; {k}: {v[3]} bytes, {v[2]} lines" for k, v in inputs.items()
                     if k != "loggen")
    print(f"\nInput: {human_size(size)} ({size} bytes), {lines} lines of ~{args.line_bytes} "
          f"bytes in {len(files)} files{others}; workers={args.workers}, "
          f"buffer_pool={args.buffer_pool}; median of {args.repeat} run(s); page cache warm.")
    print(f"Machine: {mach['nproc']} x {mach['cpu']}, {mach['mem']} RAM, Linux "
          f"{mach['kernel']}, load {mach['load']}; {mach['date']}; commit {mach['commit']}\n")
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": mach, "rows": records}, f, indent=1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
