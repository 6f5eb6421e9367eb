"""The OpenTelemetry Collector as a peer: perf/bench.py and perf/bench_kafka.py --peer otelcol=BIN.

BIN is a Collector the user built or installed with the filelog receiver, the batch processor and
the debug and Kafka exporters (perf/peers/otelcol/ has a recipe; nothing here builds it). Each run
writes a configuration as its users would (stock settings), starts the Collector, and waits until
every line has left the exporter: the Collector's own counter otelcol_exporter_sent_log_records,
read from its internal telemetry (a Prometheus endpoint on a free port of 127.0.0.1) every 50 ms.
Then it reads the process's peak RSS (VmHWM), stops it with SIGTERM and takes its CPU from wait4.

  wall   from the start of the process to the last line counted at the exporter (the Collector
         does not exit at the end of a file; its shutdown is not in the wall time, its CPU is)
  cases  null (the debug exporter, verbosity basic, with the Collector's logs at warn: it counts
         and drops), parse-json (the json_parser operator), parse-nginx (the regex_parser
         operator with the same pattern as Fluent Bit's), and Kafka record (bench_kafka.py: the
         Kafka exporter, encoding raw -- one message per line -- zstd, acks=all, and its
         sending queue set to block when full: by default it refuses a batch when its queue is
         full, and the filelog receiver then drops it -- 61,244 of 167,775 lines lost in a
         32 MiB try)
  raw    none: no Collector exporter writes the plain lines to a file (the file exporter writes
         OTLP JSON or proto, another output than the raw file of the other agents)

Two variants: "otelcol" (receiver -> exporter, the defaults) and "otelcol+batch" (the batch
processor with its defaults between them, as the Collector's documentation recommends).
start_at: beginning, so every file is read whole; no storage extension, so no checkpoint
survives a run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

from perf_lib import MiB, say

# The cases of perf/bench.py a Collector runs, and its variants: label -> batch processor on.
CASES = ("null", "parse-json", "parse-nginx")
VARIANTS = {"otelcol": False, "otelcol+batch": True}
# Fluent Bit's nginx parser in perf/bench.py, without the time parsing (logagent's regex stage
# does not parse the time either); Go's regexp takes the same (?<name>...) groups.
NGINX_REGEX = (r'^(?<remote>[^ ]*) (?<host>[^ ]*) (?<user>[^ ]*) \[(?<time>[^\]]*)\] '
               r'"(?<method>\S+)(?: +(?<path>[^\"]*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)'
               r'(?: "(?<referer>[^\"]*)" "(?<agent>[^\"]*)")')
POLL_S = 0.05
STALL_S = 60.0  # no new line at the exporter for this long: the run is stopped as incomplete
SENT_RE = re.compile(r'^otelcol_exporter_sent_log_records\{[^}]*\} ([0-9.e+]+)$', re.M)
FAILED_RE = re.compile(r'^otelcol_exporter_send_failed_log_records\{[^}]*\} ([0-9.e+]+)$', re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(case: str, input_dir: str, port: int, batch: bool,
           kafka: tuple[str, str] | None = None) -> str:
    """The Collector's YAML for `case`; kafka = (bootstrap, topic) sends to Kafka instead."""
    operators = {"parse-json": [{"type": "json_parser"}],
                 "parse-nginx": [{"type": "regex_parser", "regex": NGINX_REGEX}]}.get(case, [])
    ops = "".join(f"      - {json.dumps(op)}\n" for op in operators)
    if kafka:
        exporter = "kafka"
        exporters = (f"  kafka:\n    brokers: [{json.dumps(kafka[0])}]\n"
                     f"    logs: {{topic: {json.dumps(kafka[1])}, encoding: raw}}\n"
                     "    producer: {required_acks: all, compression: zstd}\n"
                     "    sending_queue: {block_on_overflow: true}\n")
    else:
        exporter = "debug"
        exporters = "  debug: {verbosity: basic}\n"
    return f"""receivers:
  file_log:
    include: [{json.dumps(os.path.join(input_dir, '*.log'))}]
    start_at: beginning
{'    operators:' + chr(10) + ops if ops else ''}processors:
  batch: {{}}
exporters:
{exporters}service:
  telemetry:
    logs: {{level: warn}}
    metrics:
      level: normal
      readers:
        - pull: {{exporter: {{prometheus: {{host: 127.0.0.1, port: {port}}}}}}}
  pipelines:
    logs:
      receivers: [file_log]
{'      processors: [batch]' + chr(10) if batch else ''}      exporters: [{exporter}]
"""


def scrape(port: int) -> tuple[int, int] | None:
    """(sent, failed) log records of the exporters, or None while the endpoint is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    return (int(sum(float(v) for v in SENT_RE.findall(text))),
            int(sum(float(v) for v in FAILED_RE.findall(text))))


def vm_hwm(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def run(binary: str, case: str, input_dir: str, lines: int, work: str, run_no: int,
        batch: bool, kafka: tuple[str, str] | None = None) -> dict:
    """One run: wall, user, sys, maxrss, out_bytes and a note (like perf/bench.py's measure)."""
    label = f"otelcol{'+batch' if batch else ''} {case} run {run_no + 1}"
    port = free_port()
    cfg = os.path.join(work, f"otelcol-{case}.yaml")
    with open(cfg, "w") as f:
        f.write(config(case, input_dir, port, batch, kafka))
    log = os.path.join(work, f"otelcol-{case}-{run_no}.log")
    with open(log, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen([binary, "--config", cfg], cwd=work, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT)
    sent = failed = 0
    last, last_t = -1, time.monotonic()
    while p.poll() is None:
        got = scrape(port)
        now = time.monotonic()
        if got:
            sent, failed = got
            if sent + failed >= lines:
                break
            if sent != last:
                last, last_t = sent, now
        if now - last_t > STALL_S:
            break
        time.sleep(POLL_S)
    wall = time.monotonic() - t0
    maxrss = vm_hwm(p.pid) if p.poll() is None else 0
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
    _, status, ru = os.wait4(p.pid, 0)
    with open(log, errors="replace") as f:
        text = f.read()
    errors = sum(1 for ln in text.splitlines() if "\terror\t" in ln)
    notes = []
    if sent != lines or failed:
        notes.append(f"INCOMPLETE: {sent} of {lines} lines sent, {failed} failed "
                     f"(exit {os.waitstatus_to_exitcode(status)})")
        say(text[-3000:])
    if errors:
        notes.append(f"{errors} error lines in its log")
    os.unlink(log)
    cpu = ru.ru_utime + ru.ru_stime
    say(f"  {label}: {wall:.3f} s wall, cpu {cpu:.2f} s, rss {maxrss / MiB:.1f} MiB, "
        f"{sent} lines at the exporter")
    return {"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "maxrss": maxrss,
            "rc": os.waitstatus_to_exitcode(status), "out_bytes": 0, "note": "; ".join(notes)}
