#!/usr/bin/env python3
"""File -> Kafka benchmark against a real broker (Python standard library only).

    python3 perf/bench_kafka.py [--build-dir build] [--bytes 512MiB] [--line-bytes 200]
                                [--files 4] [--repeat 1] [--cases A,B] [--perf-record A,B]
                                [--security plaintext[,ssl][,sasl_ssl]] [--rotate] [--alternate]

1. Starts a single-node Kafka broker with tests/kafka/kafka.sh on a free port (its own
   LOGAGENT_KAFKA_STATE, fresh data dir); it is always stopped at the end.
2. Generates the input with <build-dir>/perf/loggen into perf/data/ (cached, as perf/bench.py).
   The input is read once with cat so every run reads from the page cache.
3. Runs, each into its own topic (auto-created, 1 partition), under /usr/bin/time -f '%e %U %S %M':
     ceiling lines    perf/kafka_ceiling --mode lines: a plain librdkafka producer, one message per
                      line, the sink's default settings (acks=all, idempotence, zstd, linger 5 ms,
                      batch 1 MiB) -- the ceiling for record mode
     ceiling blocks   perf/kafka_ceiling --mode blocks: one message per ~256 KiB of lines,
                      compressed by librdkafka (zstd) -- a reference for batch mode
     ceiling txn      perf/kafka_ceiling --mode lines --transactional: the same producer made
                      transactional, a commit every 1 s and at the end -- the ceiling for
                      exactly-once
     record raw       logagent run --once, kafka sink mode record, format raw
     record json      ... format json
     batch raw        ... mode batch (logagent's own zstd per batch), format raw
     batch json       ... mode batch, format json
     record otlp_proto   ... mode record, one OTLP ExportLogsServiceRequest per line (protobuf)
     batch otlp_proto    ... mode batch, one request per batch, compressed by librdkafka (zstd)
     eos record raw      ... mode record, format raw, the pipeline's `delivery: exactly_once`
                         (transaction_interval 1 s: lines and checkpoint in one transaction)
   wall time of the process, MiB/s of input, CPU s/GiB of input (user+sys of that process only),
   peak RSS (GNU time %M), and the broker's CPU seconds during the run (from /proc/PID/stat).
   Every run is checked: the agent's summary must show every line acknowledged and none failed,
   the ceiling must get a delivery report for every message, and the topic's end offset must be
   the number of messages expected (lines for record mode). The transactional cases (ceiling txn,
   eos *) are counted instead by reading the topic back with isolation.level=read_committed
   (kcat): their end offset also holds a commit marker per transaction. "% of at-least-once"
   pairs each with its at-least-once twin in the same repeat (eos X with X, ceiling txn with
   ceiling lines; base-eos X with base-X, or X when base-X does not run). Before the first
   run, one line goes through each kind of transactional producer (the broker creates
   __transaction_state, the agent logagent-offsets): a cost paid once per cluster. What every start of an exactly-once agent pays (init_transactions, reading
   the committed checkpoint back) is inside each eos run's wall time.
4. Prints a Markdown table and the machine. The broker runs on the same 2 cores as the producer.

--base-logagent BIN adds the cases base-record-raw, base-batch-raw, ... : the agent cases run with
BIN (e.g. main's build) in the same run, for a before/after comparison on a shared machine.

--peer otelcol=BIN adds the case otelcol-record-raw: an OpenTelemetry Collector (filelog receiver ->
Kafka exporter, encoding raw: one message per line, zstd, acks=all; perf/peer_otelcol.py) into its
own topic on the same broker, waited for until its exporter has sent every line, then checked like
the others (the topic's end offset must be the line count).

--security plaintext,ssl,sasl_ssl runs every case once per listed security setting, against one
broker started with `kafka.sh start --tls --sasl-scram` (certificates made by the script): ssl is
the broker's SSL listener, the sink configured with `tls: {ca_file}` and the ceiling with
`--set security.protocol=ssl --set ssl.ca.location=...`; sasl_ssl is its SASL_SSL listener with
`tls: {ca_file}` and `sasl: {mechanism: plain, ...}` (PLAIN: librdkafka < 2.6.1 cannot do SCRAM
with Kafka 4.x, see tests/kafka/README.md), the ceiling with the same librdkafka settings the sink
derives (security.protocol, ssl.ca.location, ssl.endpoint.identification.algorithm, sasl.*).
The cases of one repeat run side by side (each case under every setting before the next case),
and a second table gives each setting's paired MiB/s and CPU s/GiB against plaintext. Without
--security (plaintext only) the broker has only its PLAINTEXT listener, as before. Topic creation,
end offsets and the warm-up always use the PLAINTEXT listener.

--perf-record CASE[,CASE] additionally runs each CASE once under `perf record -g` and prints the
top of `perf report` by thread, by library and by symbol (where the CPU goes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench  # noqa: E402  (generate)
import peer_otelcol  # noqa: E402
from perf_lib import SUMMARY_RE, agent_config, human_size, machine, parse_size, say  # noqa: E402,E501

MiB = 1 << 20
GiB = 1 << 30
CASES = ["ceiling-lines", "ceiling-blocks", "ceiling-txn", "record-raw", "record-json",
         "batch-raw", "batch-json", "record-otlp_proto", "batch-otlp_proto", "eos-record-raw"]
# The at-least-once twin of each transactional case (the "% of at-least-once" column).
TWIN = {"ceiling-txn": "ceiling-lines", "eos-record-raw": "record-raw",
        "base-eos-record-raw": "base-record-raw"}
# With --base-logagent BIN: the same agent cases run with another binary (e.g. main's), in the
# same run and against the same broker, for a before/after comparison.
BASE_CASES = ["base-" + c for c in CASES if not c.startswith("ceiling-")]
# With --peer otelcol=BIN: the OpenTelemetry Collector's Kafka exporter, one message per line.
PEER_CASES = ["otelcol-record-raw"]
SECURITY = ["plaintext", "ssl", "sasl_ssl"]
SASL_USER, SASL_PASSWORD = "logagent", "logagent-secret"  # kafka.sh's default --scram-user


class Broker:
    def __init__(self, work: str, secure: bool = False):
        self.script = os.path.join(REPO, "tests", "kafka", "kafka.sh")
        self.env = dict(os.environ, LOGAGENT_KAFKA_STATE=os.path.join(work, "kafka-state"),
                        LOGAGENT_KAFKA_DIR=os.path.join(work, "kafka-data"))
        # secure: also the SSL (port+2) and SASL_SSL (port+3) listeners of kafka.sh --tls
        # --sasl-scram, with the test CA in certs/.
        self.secure = secure
        self.certs = os.path.join(work, "certs")
        self.port = self._free_run(4 if secure else 2)
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.started = False

    @staticmethod
    def _free_run(n: int) -> int:
        """A port p such that p .. p+n-1 are free (the broker, its controller, TLS listeners)."""
        for _ in range(50):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                p = s.getsockname()[1]
            if p + n >= 65000:
                continue
            socks = []
            try:
                for i in range(1, n):
                    socks.append(socket.socket())
                    socks[-1].bind(("127.0.0.1", p + i))
                return p
            except OSError:
                continue
            finally:
                for sk in socks:
                    sk.close()
        sys.exit(f"no {n} consecutive free ports")

    def listener(self, security: str) -> str:
        """The bootstrap address of the listener for `security`."""
        offset = {"plaintext": 0, "ssl": 2, "sasl_ssl": 3}[security]
        return f"127.0.0.1:{self.port + offset}"

    def run(self, *args: str) -> str:
        r = subprocess.run([self.script, *args], env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            raise RuntimeError(f"kafka.sh {' '.join(args)}: {r.stderr[-2000:]}")
        return r.stdout

    def start(self) -> None:
        extra = ["--tls", "--sasl-scram", "--certs", self.certs] if self.secure else []
        self.run("start", "--port", str(self.port), *extra)
        self.started = True
        say(f"broker: {self.bootstrap}, pid {self.pid()}")

    def stop(self) -> None:
        if self.started:
            self.run("stop")
            self.started = False

    def pid(self) -> int:
        with open(os.path.join(self.env["LOGAGENT_KAFKA_STATE"], "pid")) as f:
            return int(f.read())

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid()}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def warm_up(self) -> None:
        """The first idempotent producer after a fresh start waits for the broker to allocate
        producer ids (COORDINATOR_LOAD_IN_PROGRESS); pay that here, not in the first case."""
        subprocess.run(["kcat", "-P", "-b", self.bootstrap, "-t", "warmup", "-X",
                        "enable.idempotence=true"], input=b"warm-up\n", capture_output=True,
                       timeout=60, check=True)

    def create_topic(self, topic: str) -> None:
        """Auto-creates `topic` with a metadata request and waits until it has its partition, so
        topic creation and leader election are not part of a measured run."""
        deadline = time.monotonic() + 30
        while True:
            subprocess.run(["kcat", "-L", "-b", self.bootstrap, "-t", topic],
                           capture_output=True, timeout=30)
            try:
                self.end_offset(topic)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def committed_count(self, topic: str) -> int:
        """The messages of partition 0 a read_committed consumer sees (one byte per message)."""
        r = subprocess.run(["kcat", "-C", "-b", self.bootstrap, "-t", topic, "-p", "0", "-o",
                            "beginning", "-e", "-q", "-f", "x", "-X",
                            "isolation.level=read_committed"],
                           capture_output=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"kcat -C {topic}: {r.stderr[-2000:]!r}")
        return len(r.stdout)

    def end_offset(self, topic: str) -> int:
        r = subprocess.run(["kcat", "-Q", "-b", self.bootstrap, "-t", f"{topic}:0:-1"],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"\[0\] offset (\d+)", r.stdout)
        if not m:
            raise RuntimeError(f"kcat -Q {topic}: {r.stdout} {r.stderr}")
        return int(m.group(1))


def timed(argv: list[str], out_dir: str, label: str) -> dict:
    """Runs argv under GNU time: the process's own wall, user, sys and peak RSS."""
    tfile = os.path.join(out_dir, f"{label}.time")
    p = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", tfile] + argv,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    with open(tfile) as f:
        wall, user, sys_, rss = f.read().split()[-4:]
    return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr, "wall": float(wall),
            "user": float(user), "sys": float(sys_), "rss": int(rss) * 1024}


def split_key(key: str) -> tuple[str, str]:
    """'sasl_ssl:record-raw' -> ('sasl_ssl', 'record-raw'); a bare case is plaintext."""
    sec, _, case = key.rpartition(":")
    return sec or "plaintext", case


def security_settings(security: str, broker: Broker) -> tuple[dict, list[str]]:
    """The kafka sink's typed options for `security` and the librdkafka settings it derives from
    them (plugins/sinks/kafka/kafka_security.cc), for the ceiling."""
    if security == "plaintext":
        return {}, []
    ca = os.path.join(broker.certs, "ca.pem")
    sink: dict = {"tls": {"ca_file": ca}}
    props = {"security.protocol": security, "ssl.ca.location": ca,
             "ssl.endpoint.identification.algorithm": "https"}
    if security == "sasl_ssl":
        sink["sasl"] = {"mechanism": "plain", "username": SASL_USER, "password": SASL_PASSWORD}
        props.update({"sasl.mechanisms": "PLAIN", "sasl.username": SASL_USER,
                      "sasl.password": SASL_PASSWORD})
    return sink, [a for k, v in props.items() for a in ("--set", f"{k}={v}")]


def case_argv(key: str, args, broker: Broker, input_dir: str, work: str, topic: str,
              run: int) -> list[str]:
    security, case = split_key(key)
    sink_security, ceiling_settings = security_settings(security, broker)
    bootstrap = broker.listener(security)
    if case.startswith("ceiling-"):
        mode = case.split("-")[1]
        txn = ["--transactional"] if mode == "txn" else []
        return [os.path.join(args.build_dir, "perf", "kafka_ceiling"), "--brokers",
                bootstrap, "--topic", topic, "--dir", input_dir, "--mode",
                "lines" if txn else mode] + txn + ceiling_settings
    agent = os.path.join(args.build_dir, "logagent")
    if case.startswith("base-"):
        agent, case = args.base_logagent, case[len("base-"):]
    delivery = ""
    if case.startswith("eos-"):
        delivery, case = "exactly_once", case[len("eos-"):]
    mode, fmt = case.split("-")
    cfg = os.path.join(work, f"{topic}.yaml")
    data_dir = os.path.join(work, f"data-{topic}")
    shutil.rmtree(data_dir, ignore_errors=True)
    # exactly_once: the checkpoint is committed to Kafka (offsets_topic logagent-offsets, key
    # host/pipeline/sink): a pipeline named after the run's topic never starts from another run's
    # checkpoint, and has a transactional.id of its own.
    agent_config(cfg, name=topic if delivery else "bench", data_dir=data_dir,
                 input_dir=input_dir, workers=2,
                 buffer_pool="64MiB", delivery=delivery,
                 sink={"type": "kafka", "brokers": [bootstrap], "topic": topic,
                       "mode": mode, "format": fmt, **sink_security})
    return [agent, "run", "--once", "-c", cfg]


def warm_up_transactions(args, broker: Broker, work: str) -> None:
    """What the first transactional producer on a fresh cluster pays once (the broker creates
    __transaction_state) and the first exactly-once agent too (it creates logagent-offsets,
    compacted): one line through kafka_ceiling --transactional and one through an exactly-once
    agent, before any measured run, as warm_up() does for the producer ids."""
    tiny = os.path.join(work, "warmup-input")
    os.makedirs(tiny, exist_ok=True)
    with open(os.path.join(tiny, "a.log"), "w") as f:
        f.write("warm-up\n")
    for case in ("ceiling-txn", "eos-record-raw"):
        topic = f"warmup-{case}"
        broker.create_topic(topic)
        r = subprocess.run(case_argv(case, args, broker, tiny, work, topic, 0),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            raise RuntimeError(f"warm-up {case}: exit {r.returncode}\n{r.stderr[-3000:]}")


def topic_of(key: str, run) -> str:
    return f"{key.replace(':', '-')}-{run}"


def run_case(key: str, args, broker: Broker, input_dir: str, lines: int, nbytes: int,
             work: str, run: int) -> dict:
    """One run of the case `key` ([security:]case); the checks below use the bare case."""
    topic = topic_of(key, run)
    case = split_key(key)[1]
    broker.create_topic(topic)
    if case in PEER_CASES:
        cpu0 = broker.cpu_seconds()
        r = peer_otelcol.run(args.otelcol, "kafka", input_dir, lines, work, run, batch=False,
                             kafka=(broker.bootstrap, topic))
        r.update(broker_cpu=broker.cpu_seconds() - cpu0, rss=r["maxrss"], stderr=r["note"])
    else:
        argv = case_argv(key, args, broker, input_dir, work, topic, run)
        cpu0 = broker.cpu_seconds()
        r = timed(argv, work, topic)
        r["broker_cpu"] = broker.cpu_seconds() - cpu0
    if r["rc"] != 0:
        raise RuntimeError(f"{case}: exit {r['rc']}\n{r['stderr'][-3000:]}")
    if case in PEER_CASES:
        if r["note"].startswith("INCOMPLETE"):
            raise RuntimeError(f"{case}: {r['note']}")
        r["inner_wall"], r["messages"] = r["wall"], lines
    elif case.startswith("ceiling-"):
        res = json.loads(r["stdout"].strip().splitlines()[-1])
        if res["failed"] or res["delivered"] != res["messages"] or res["bytes"] != nbytes:
            raise RuntimeError(f"{case}: {res}")
        r["messages"] = res["messages"]
        r["inner_wall"] = res["wall_s"]
        r["transactions"] = res.get("transactions", 0)
    else:
        m = SUMMARY_RE.search(r["stderr"])
        if not m:
            raise RuntimeError(f"{case}: no summary line\n{r['stderr'][-3000:]}")
        read, acked, failed = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if read != lines or acked != lines or failed:
            raise RuntimeError(f"{case}: read {read} acked {acked} failed {failed}, "
                               f"expected {lines}")
        r["inner_wall"] = float(m.group(5))
        r["messages"] = lines if "record-" in case else None
    if case in TWIN:  # transactional: the end offset counts the commit markers too
        end = broker.committed_count(topic)
        what = "read_committed"
    else:
        end = broker.end_offset(topic)
        what = "end offset"
    if r["messages"] is not None and end != r["messages"]:
        raise RuntimeError(f"{case}: topic {topic} holds {end} messages ({what}), expected "
                           f"{r['messages']}")
    r["kafka_messages"] = end
    r["mib_s"] = nbytes / MiB / r["wall"]
    r["cpu_per_gib"] = (r["user"] + r["sys"]) / (nbytes / GiB)
    say(f"{key} run {run + 1}: {r['wall']:.2f} s ({r['inner_wall']:.2f} s inside), "
        f"{r['mib_s']:.1f} MiB/s, cpu {r['user']:.2f}+{r['sys']:.2f} s "
        f"({r['cpu_per_gib']:.2f} s/GiB), rss {r['rss'] / MiB:.1f} MiB, broker cpu "
        f"{r['broker_cpu']:.1f} s, {end} messages in Kafka ({what})")
    return r


def perf_record(case: str, args, broker: Broker, input_dir: str, work: str) -> None:
    topic = topic_of(case, "perf")
    argv = case_argv(case, args, broker, input_dir, work, topic, 0)
    broker.create_topic(topic)
    data = os.path.join(work, "perf.data")
    subprocess.run(["perf", "record", "-F", "499", "-g", "-o", data, "--"] + argv,
                   stdin=subprocess.DEVNULL, capture_output=True, check=True)
    for sort in ("comm", "dso", "dso,sym"):
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                              "--percent-limit", "1.5", "--sort", sort, "-g", "none"],
                             capture_output=True, text=True).stdout
        print(f"\n`perf report --sort {sort}` for {case}:\n```")
        print("\n".join(l for l in rep.splitlines() if l and not l.startswith("#")))
        print("```")


def order(cases: list[str], secs: list[str], run: int, rotate: bool,
          alternate: bool = False) -> list[str]:
    """The keys of one repeat: each case under every security setting before the next case, so
    the settings of a case run side by side. --rotate: each repeat starts one case (and one
    setting) later, so no case always runs first (after the previous repeat's load) or last.
    --alternate: every second repeat runs the cases in reverse order, so neighbours (e.g.
    record-raw,eos-record-raw) stay side by side and each runs first in half the repeats.
    The Collector's case runs in plaintext only (perf/peer_otelcol.py configures no TLS)."""
    k = run % len(cases) if rotate else 0
    j = run % len(secs) if rotate else 0
    seq = cases[k:] + cases[:k]
    if alternate and run % 2 == 1:
        seq = seq[::-1]
    return [key(s, c) for c in seq for s in secs[j:] + secs[:j]
            if c not in PEER_CASES or s == "plaintext"]


def key(security: str, case: str) -> str:
    return case if security == "plaintext" else f"{security}:{case}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--bytes", type=parse_size, default=512 * MiB)
    ap.add_argument("--line-bytes", type=int, default=200)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--security", default="plaintext",
                    help="comma-separated: plaintext, ssl, sasl_ssl (each case runs under each)")
    ap.add_argument("--perf-record", default="",
                    help="cases (comma-separated, [security:]case) to profile once more under "
                         "perf record")
    ap.add_argument("--data-root", default=os.path.join(HERE, "data"))
    ap.add_argument("--json", help="also write the rows to this file as JSON")
    ap.add_argument("--rotate", action="store_true",
                    help="rotate the order of the cases from one repeat to the next")
    ap.add_argument("--alternate", action="store_true",
                    help="every second repeat runs the cases in reverse order")
    ap.add_argument("--base-logagent", default="",
                    help="another logagent binary: enables the base-* cases (before/after)")
    ap.add_argument("--peer", action="append", default=[], metavar="otelcol=BINARY",
                    help="enables the case otelcol-record-raw (an OpenTelemetry Collector)")
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    args.otelcol = ""
    for spec in args.peer:
        name, _, binary = spec.partition("=")
        if name != "otelcol" or not os.access(binary, os.X_OK):
            sys.exit(f"--peer {spec!r}: expected otelcol=BINARY, an executable")
        args.otelcol = os.path.abspath(binary)
    for tool in ("logagent", "perf/kafka_ceiling", "perf/loggen"):
        if not os.access(os.path.join(args.build_dir, tool), os.X_OK):
            sys.exit(f"{args.build_dir}/{tool} missing: cmake --build {args.build_dir} "
                     "--target logagent kafka_ceiling loggen")
    cases = [c for c in args.cases.split(",") if c]
    for c in cases:
        if c not in CASES and not (args.base_logagent and c in BASE_CASES) and \
                not (args.otelcol and c in PEER_CASES):
            sys.exit(f"unknown case {c}; cases: {', '.join(CASES)} "
                     f"(and {', '.join(BASE_CASES)} with --base-logagent, "
                     f"{', '.join(PEER_CASES)} with --peer otelcol=BIN)")
    secs = [s for s in args.security.split(",") if s]
    for s in secs:
        if s not in SECURITY:
            sys.exit(f"unknown security {s}; one of: {', '.join(SECURITY)}")
    keys = order(cases, secs, 0, False)

    input_dir, _, lines, nbytes = bench.generate(
        os.path.join(args.build_dir, "perf", "loggen"), args.data_root, args.bytes,
        args.line_bytes, args.files, args.seed)
    subprocess.run(f"cat {input_dir}/*.log > /dev/null", shell=True, check=True)
    work = tempfile.mkdtemp(prefix="logagent-bench-kafka-")
    broker = Broker(work, secure=secs != ["plaintext"])
    results: dict[str, list[dict]] = {k: [] for k in keys}
    try:
        broker.start()
        broker.warm_up()
        if any(split_key(k)[1] in TWIN for k in keys):
            warm_up_transactions(args, broker, work)
        for run in range(args.repeat):
            for k in order(cases, secs, run, args.rotate, args.alternate):
                results[k].append(run_case(k, args, broker, input_dir, lines, nbytes, work, run))
        for k in filter(None, args.perf_record.split(",")):
            perf_record(k, args, broker, input_dir, work)
    finally:
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(args, keys, secs, results, lines)


def report(args, keys: list[str], secs: list[str], results: dict[str, list[dict]],
           lines: int) -> None:
    def med(k: str, field: str) -> float:
        return statistics.median(r[field] for r in results[k])

    mach = machine()
    print(f"\nInput: {human_size(args.bytes)} in {args.files} files, {lines:,} lines of "
          f"{args.line_bytes} bytes on average (loggen); warm page cache; median of "
          f"{args.repeat} run(s); broker: Kafka 4.4.0 single node on 127.0.0.1, "
          "**sharing the same 2 cores** as the producer.\n")
    print("| case | wall s | MiB/s | % of ceiling (paired) | % of at-least-once (paired) "
          "| CPU s/GiB | user s | sys s | peak RSS MiB | broker CPU s | Kafka messages |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    names = {"ceiling-lines": "ceiling: librdkafka, 1 msg/line",
             "ceiling-blocks": "ceiling: librdkafka, 1 msg/256 KiB",
             "record-raw": "logagent record, raw", "record-json": "logagent record, json",
             "batch-raw": "logagent batch, raw", "batch-json": "logagent batch, json",
             "record-otlp_proto": "logagent record, otlp_proto",
             "batch-otlp_proto": "logagent batch, otlp_proto",
             "ceiling-txn": "ceiling: librdkafka transactional, 1 msg/line, commit/1 s",
             "eos-record-raw": "logagent record, raw, exactly_once"}
    names.update({"base-" + k: "base " + v for k, v in list(names.items())})
    names["otelcol-record-raw"] = "otelcol: kafka exporter, 1 msg/line (raw)"

    def name(k: str) -> str:
        sec, case = split_key(k)
        return names[case] if sec == "plaintext" else f"{names[case]}, {sec}"

    def paired(k: str, ref: str) -> str:
        """Median over repeats of this case's MiB/s over ref's (same security) in the same
        repeat (the load of a shared machine drifts; pairing removes part of that)."""
        ref = key(split_key(k)[0], ref)
        if ref not in results:
            return "-"
        ratios = [r["mib_s"] / b["mib_s"] for r, b in zip(results[k], results[ref])]
        return f"{100 * statistics.median(ratios):.0f} %"

    def of_ceiling(k: str) -> str:
        return paired(k, "ceiling-lines")

    def of_twin(k: str) -> str:
        twin = TWIN.get(split_key(k)[1])
        if twin and key(split_key(k)[0], twin) not in results:
            twin = twin.removeprefix("base-")  # base-eos-X without base-X: beside X
        return paired(k, twin) if twin else "-"

    for k in keys:
        print(f"| {name(k)} | {med(k, 'wall'):.2f} | {med(k, 'mib_s'):.1f} | {of_ceiling(k)} | "
              f"{of_twin(k)} | "
              f"{med(k, 'cpu_per_gib'):.2f} | {med(k, 'user'):.2f} | {med(k, 'sys'):.2f} | "
              f"{med(k, 'rss') / MiB:.1f} | {med(k, 'broker_cpu'):.1f} | "
              f"{int(med(k, 'kafka_messages')):,} |")
    others = [s for s in secs if s != "plaintext"]
    if "plaintext" in secs and others:
        print("\nEach setting beside plaintext, the same case in the same repeat (median of the "
              "per-repeat ratios; MiB/s < 1 is slower, CPU > 1 costs more):\n")
        print("| case | security | MiB/s ratio | CPU s/GiB ratio | broker CPU ratio |")
        print("|---|---|---|---|---|")
        for k in keys:
            sec, case = split_key(k)
            if sec == "plaintext":
                continue
            cells = []
            for f in ("mib_s", "cpu_per_gib", "broker_cpu"):
                ratios = [r[f] / b[f] for r, b in zip(results[k], results[case]) if b[f] > 0]
                cells.append(f"{statistics.median(ratios):.2f}" if ratios else "-")
            print(f"| {names[case]} | {sec} | " + " | ".join(cells) + " |")
    print(f"\nMachine: {mach['nproc']} x {mach['cpu']}, {mach['mem']} RAM, Linux "
          f"{mach['kernel']}, {mach['date']}, commit {mach['commit']}, load average at the end "
          f"{mach['load']}. The broker shares the 2 cores with the producer being measured.")
    if args.json:
        rows = [{"case": name(k), "key": k, "mib_s": med(k, "mib_s"),
                 "cpu_s_per_gib": med(k, "cpu_per_gib"), "peak_rss_mib": med(k, "rss") / MiB,
                 "broker_cpu_s": med(k, "broker_cpu"), "of_ceiling": of_ceiling(k),
                 "of_at_least_once": of_twin(k)} for k in keys]
        with open(args.json, "w") as f:
            json.dump({"machine": mach, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
