#!/usr/bin/env python3
"""File -> Kafka, against a real Apache Kafka broker (tests/kafka/kafka.sh on a free port).

1M lines over 8 files, `logagent run --once`, then the topic is read back with kcat:
- record mode (json, the default): a 4-partition topic; every line arrives exactly once, with the
  right file and offset; all lines of a file are in one partition, in order.
- batch mode (raw): one zstd-compressed ndjson message per batch with headers content-encoding,
  content-type and x-logagent-events; after decompressing (the zstd CLI), every line, each file's
  lines in order.
Prints counts and the throughput of each run.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import time

import e2e_lib as e

FILES = 8
LINES_PER_FILE = 125_000


class KafkaBroker:
    """One broker from tests/kafka/kafka.sh with its own state (and optionally data) dir."""

    def __init__(self, ctx: e.Context, keep_dir: bool = False):
        self.script = os.path.join(ctx.source_dir, "tests", "kafka", "kafka.sh")
        self.env = dict(os.environ, LOGAGENT_KAFKA_STATE=ctx.path("kafka-state"))
        if keep_dir:
            self.env["LOGAGENT_KAFKA_DIR"] = ctx.path("kafka-data")
        self.port = self._free_pair()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.started = False

    @staticmethod
    def _free_pair() -> int:
        """A port whose successor (the controller port) is free too."""
        for _ in range(50):
            p = e.free_port()
            if p < 65000:
                with socket.socket() as s:
                    try:
                        s.bind(("127.0.0.1", p + 1))
                        return p
                    except OSError:
                        continue
        raise e.TestFailure("no free pair of ports for the broker")

    def _run(self, *args: str, timeout: float = 150) -> str:
        r = subprocess.run([self.script, *args], env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        e.check(r.returncode == 0, f"kafka.sh {' '.join(args)} failed ({r.returncode}):\n"
                                   f"{r.stderr[-3000:]}")
        return r.stdout

    def start(self) -> "KafkaBroker":
        t0 = time.monotonic()
        self._run("start", "--port", str(self.port))
        self.started = True
        e.log(f"broker up on {self.bootstrap} in {time.monotonic() - t0:.1f} s")
        return self

    def stop(self, keep: bool = False) -> None:
        if self.started:
            self._run("stop", *(["--keep"] if keep else []), timeout=60)
            self.started = False

    def create_topic(self, name: str, partitions: int, **configs: object) -> None:
        self._run("create-topic", name, str(partitions),
                  *(f"{k.replace('_', '.')}={v}" for k, v in configs.items()), timeout=120)

    def tool(self, cls: str, *args: str) -> str:
        """The output of a Kafka CLI class (kafka.sh tool) run against this broker."""
        return self._run("tool", cls, "--bootstrap-server", self.bootstrap, *args, timeout=120)

    def delete_topic(self, name: str) -> None:
        self.tool("org.apache.kafka.tools.TopicCommand", "--delete", "--topic", name)

    def consume(self, topic: str, fmt: str, expect_messages: int | None = None,
                timeout: float = 120) -> bytes:
        """Every message of `topic` formatted by kcat -f; with `expect_messages`, waits for them."""
        argv = ["kcat", "-b", self.bootstrap, "-C", "-t", topic, "-o", "beginning", "-q",
                "-f", fmt]
        argv += ["-c", str(expect_messages)] if expect_messages else ["-e"]
        r = subprocess.run(argv, capture_output=True, timeout=timeout)
        e.check(r.returncode == 0, f"kcat failed ({r.returncode}): {r.stderr[-2000:]!r}")
        return r.stdout


def write_files(logs: str) -> dict[str, list[tuple[int, bytes]]]:
    written = {}
    filler = b"abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 4
    for f in range(FILES):
        path = os.path.join(logs, f"app{f}.log")
        lines = [b"f%d %07d %s" % (f, i, filler[: 60 + (i * 7919 + f) % 160])
                 for i in range(LINES_PER_FILE)]
        written[path] = e.write_lines(path, lines)
    return written


def sink(bootstrap: str, topic: str, **extra) -> dict:
    d = {"type": "kafka", "brokers": [bootstrap], "topic": topic}
    d.update(extra)
    return d


def timed_once(ctx: e.Context, cfg: str, label: str, timeout: float = 170):
    """Runs --once under /usr/bin/time: the rusage of a child forked from this (large) Python
    process counts Python's pages too, so the agent's own peak RSS and CPU come from time(1)."""
    a = ctx.agent(cfg, once=True, label=label)
    stats = ctx.path(f"{label}.time")
    if os.access("/usr/bin/time", os.X_OK):
        a.argv = ["/usr/bin/time", "-f", "%M %U %S", "-o", stats] + a.argv
    a.start()
    rc = a.wait(timeout)
    e.check(rc is not None, f"{label}: logagent run --once did not exit within {timeout:.0f} s")
    e.check(rc == 0, f"{label}: logagent run --once exited with {rc}")
    try:
        with open(stats) as f:
            rss_kib, user, sys_ = f.read().split()[-3:]
        return a, int(rss_kib) * 1024, float(user) + float(sys_)
    except (OSError, ValueError):
        return a, a.maxrss_bytes(), a.rusage.ru_utime + a.rusage.ru_stime


def run_once(ctx: e.Context, logs: str, snk: dict, label: str, total_bytes: int) -> dict:
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=[snk], workers=2,
                        data_dir=ctx.path(f"data-{label}"), file_name=f"{label}.yaml")
    a, rss, cpu = timed_once(ctx, cfg, label)
    s = a.summary()
    e.log(f"[{label}] summary: {s}; {total_bytes / s['seconds'] / 2**20:.1f} MiB/s, "
          f"agent cpu {cpu:.2f} s, peak rss {rss / 2**20:.0f} MiB")
    e.check(s["failed"] == 0, f"{label}: {s['failed']} events failed")
    e.check(s["acked"] == s["lines"] == FILES * LINES_PER_FILE,
            f"{label}: read {s['lines']}, acknowledged {s['acked']}, "
            f"expected {FILES * LINES_PER_FILE}")
    return s


def check_record_mode(broker: KafkaBroker, topic: str, written) -> None:
    out = broker.consume(topic, "%p %s\n", expect_messages=FILES * LINES_PER_FILE)
    events, partition_of = [], {}
    split_files = set()
    for line in out.splitlines():
        p, _, payload = line.partition(b" ")
        ev = e.parse_json_line(payload, topic)
        events.append(ev)
        if partition_of.setdefault(ev["file"], p) != p:
            split_files.add(ev["file"])
    e.check(not split_files, f"files spread over several partitions: {sorted(split_files)}")
    e.log(f"[record] {len(events)} messages over partitions "
          f"{sorted(set(partition_of.values()))}")
    rep = e.compare_by_offset(written, [events])
    rep.print("record")
    rep.assert_ok("record", allow_duplicates=False)


_FRAME = re.compile(rb"(\d+)\|([^\n]*)\n")


def check_batch_mode(broker: KafkaBroker, topic: str, written) -> None:
    out = broker.consume(topic, "%S|%h\n%s")
    payloads, header_events = [], 0
    pos = 0
    while pos < len(out):
        m = _FRAME.match(out, pos)
        e.check(m is not None, f"unparseable kcat output at byte {pos}")
        size = int(m.group(1))
        headers = dict(h.split(b"=", 1) for h in m.group(2).split(b",") if b"=" in h)
        e.check(headers.get(b"content-encoding") == b"zstd", f"headers: {headers}")
        e.check(headers.get(b"content-type") == b"text/plain", f"headers: {headers}")
        header_events += int(headers[b"x-logagent-events"])
        payloads.append(out[m.end():m.end() + size])
        pos = m.end() + size
    e.check(shutil.which("zstd") is not None, "the zstd CLI is needed to check batch mode")
    plain = subprocess.run(["zstd", "-dcq"], input=b"".join(payloads), capture_output=True,
                           check=True).stdout
    lines = plain.split(b"\n")
    e.check(lines.pop() == b"", "decompressed batches do not end with a newline")
    e.log(f"[batch] {len(payloads)} messages, {header_events} events in headers, "
          f"{len(lines)} lines after zstd -d ({sum(map(len, payloads)) / 2**20:.1f} MiB "
          f"compressed, {len(plain) / 2**20:.1f} MiB plain)")
    e.check(header_events == len(lines), "x-logagent-events does not add up to the lines")
    by_file: dict[bytes, list[bytes]] = {}
    for line in lines:
        by_file.setdefault(line.split(b" ", 1)[0], []).append(line)
    for path, want in written.items():
        tag = b"f" + os.path.basename(path)[3:-4].encode()
        got = by_file.get(tag, [])
        e.check(got == [l for _, l in want],
                f"batch: {path}: {len(got)} lines delivered, {len(want)} written, or order "
                "differs")
    e.log(f"[batch] written={sum(len(v) for v in written.values())} delivered={len(lines)} "
          "missing=0 out_of_order=0")


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    written = write_files(logs)
    total_bytes = sum(os.path.getsize(p) for p in written)
    e.log(f"wrote {FILES} files, {FILES * LINES_PER_FILE} lines, {total_bytes / 2**20:.1f} MiB")
    broker = KafkaBroker(ctx)
    try:
        broker.start()
        broker.create_topic("records", 4)
        run_once(ctx, logs, sink(broker.bootstrap, "records"), "record", total_bytes)
        check_record_mode(broker, "records", written)
        run_once(ctx, logs, sink(broker.bootstrap, "batches", mode="batch", format="raw"),
                 "batch", total_bytes)
        check_batch_mode(broker, "batches", written)
    finally:
        broker.stop()


if __name__ == "__main__":
    e.main("kafka_delivery", body)
