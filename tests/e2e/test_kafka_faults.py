#!/usr/bin/env python3
"""Kafka faults, against a real Apache Kafka broker (tests/kafka/kafka.sh on free ports, each
broker with its own LOGAGENT_KAFKA_STATE and data dir; always stopped in `finally`).

a. unreachable: the agent starts live while nothing listens on the broker port. It stays up, logs
   the problem, reports logagent_kafka_broker_up 0 in /metrics; lines keep being written. Then a
   broker is started on that port -> every line arrives, each file's lines in order.
b. kill9: lines stream into a topic (raw, header run=1); the broker is stopped (--keep, same data
   dir); the agent is killed with SIGKILL while the broker is down; the broker is started again,
   then the agent (header run=2) -> every line arrives (duplicates allowed and counted; within a
   run each file's lines stay in order).
c. checkpoint: lines stream (json: every message carries "file" and "offset"). While the broker
   is up, the checkpoint is read and then the topic consumed: each committed offset must be at
   most the end of the contiguous prefix of that file present in Kafka. Then the broker is
   stopped; during the outage the checkpoint is read several times; the agent is killed (so
   nothing more can be delivered), the broker started, the topic consumed: again no committed
   offset may pass a line that is not in Kafka.
d. rejected (issue 12 case 10): a topic whose max.message.bytes is 4 KiB, a line of ~64 KiB
   of incompressible text among small ones, record mode. With `dead_letter: false` the broker's
   refusal rejects the batch: the pipeline stops reading, /ready answers 503 saying why,
   logagent_sink_batches_rejected_total counts it, and the checkpoint stays before the line
   (never a silent freeze while later lines flow). Restarted with `dead_letter: true`, the batch
   is read again: the big line (and any small line Kafka refused with it in one record batch)
   goes to the dead-letter file, everything after it is delivered, and a third start sends
   nothing: every line exactly once, in Kafka or in the dead-letter file.

e. recreated (issue 15): lines stream into a topic of 3 partitions; mid-stream the topic is
   deleted, and the producer's next metadata request creates it again (auto-create, 1
   partition). Messages meanwhile fail with "unknown topic/partition": none may be dead-lettered
   (they are retried for unknown_topic_timeout), and the new topic must hold, per file, every
   line from its first one there to the last one written, in order. (What the deleted topic held
   went with it: that is the operator's deletion, not a loss.)

Each case prints written/delivered/missing/duplicates; the test fails on any missing line.
LOGAGENT_KAFKA_FAULT_CASES=ac runs a subset.
"""

import collections
import json
import os
import re
import subprocess
import threading
import time

import e2e_lib as e
from test_kafka_delivery import KafkaBroker

STREAMS = ["a", "b", "c"]
LINES_PER_TICK = 40   # per stream, every TICK seconds: ~3k lines/s in total
TICK = 0.04
OUTAGE_S = 8


class Load:
    """Appends id lines to every stream from a thread until stopped."""

    def __init__(self, logs: str, streams=STREAMS):
        self.writers = [e.StreamWriter(logs, s, pad_range=(40, 160), seed=i + 7)
                        for i, s in enumerate(streams)]
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def prime(self) -> "Load":
        for w in self.writers:
            w.write(1)  # the files exist before the agent starts
        return self

    def start(self) -> "Load":
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_ev.is_set():
            for w in self.writers:
                w.write(LINES_PER_TICK)
            time.sleep(TICK)

    def stop(self) -> dict[str, int]:
        self.stop_ev.set()
        if self.thread.is_alive():
            self.thread.join()
        return self.written()

    def written(self) -> dict[str, int]:
        return {w.stream: w.seq for w in self.writers}


def metric(port: int, name: str, **labels) -> float | None:
    m = e.try_scrape(port)
    return m.get(name, **labels) if m else None


def wait_acked(port: int, total: int, agent: e.Agent, timeout: float = 60) -> float:
    return e.wait_for(
        lambda: (metric(port, "logagent_sink_events_total", result="ok") or 0) >= total,
        timeout=timeout, what=f"{total} lines acknowledged by the kafka sink", agent=agent)


def kafka_sink(bootstrap: str, topic: str, fmt: str, **extra) -> dict:
    d = {"type": "kafka", "brokers": [bootstrap], "topic": topic, "format": fmt,
         "queue_bytes": "8MiB"}
    d.update(extra)
    return d


def consume_to_end(broker: KafkaBroker, topic: str, fmt: str) -> bytes:
    """What `topic` (one partition) holds now: its end offset is taken first, then exactly that
    many messages are read. (`kcat -e` may never see the end while a producer keeps appending.)"""
    r = subprocess.run(["kcat", "-Q", "-b", broker.bootstrap, "-t", f"{topic}:0:-1"],
                       capture_output=True, timeout=60)
    m = re.search(rb"\[0\] offset (\d+)", r.stdout)
    if r.returncode != 0 or not m:
        e.check(b"Unknown partition" in r.stderr, f"kcat -Q failed: {r.stderr[-500:]!r}")
        return b""  # no such topic yet
    n = int(m.group(1))
    return broker.consume(topic, fmt, expect_messages=n) if n else b""


def split_runs(out: bytes) -> tuple[list[list[bytes]], int]:
    """kcat -f '%h|%S|%s' output -> messages grouped by their run header (1, 2, ...)."""
    runs: dict[int, list[bytes]] = collections.defaultdict(list)
    pos, n = 0, 0
    while pos < len(out):
        bar1 = out.index(b"|", pos)
        bar2 = out.index(b"|", bar1 + 1)
        headers = dict(h.split(b"=", 1) for h in out[pos:bar1].split(b",") if b"=" in h)
        size = int(out[bar1 + 1:bar2])
        payload = out[bar2 + 1:bar2 + 1 + size]
        e.check(out[bar2 + 1 + size:bar2 + 2 + size] == b"\n", f"bad kcat framing at {pos}")
        runs[int(headers.get(b"run", b"0"))].append(payload)
        pos = bar2 + 2 + size
        n += 1
    return [runs[k] for k in sorted(runs)], n


# --------------------------------------------------------------------------------------------
# a. broker unreachable at start


def case_unreachable(ctx: e.Context) -> None:
    logs = ctx.mkdir("a-logs")
    broker = KafkaBroker(ctx)
    broker.env["LOGAGENT_KAFKA_STATE"] = ctx.path("a-kafka-state")
    mport = e.free_port()
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], metrics_port=mport,
                        sinks=[kafka_sink(broker.bootstrap, "unreachable", "raw")],
                        data_dir=ctx.path("a-data"), file_name="a.yaml", buffer_pool="16MiB")
    load = Load(logs).prime()
    agent = ctx.agent(cfg, label="a-agent").start()
    try:
        load.start()
        time.sleep(6)  # a few statistics intervals (1 s) and reconnect attempts
        e.check(agent.running(), f"agent exited with {agent.returncode} without a broker")
        up = metric(mport, "logagent_kafka_broker_up")
        errors = e.try_scrape(mport)
        err_reasons = sorted({l.get("reason") for n, l, _ in (errors.samples if errors else [])
                              if n == "logagent_kafka_errors_total"})
        ok = metric(mport, "logagent_sink_events_total", result="ok") or 0
        e.log(f"[unreachable] nothing on {broker.bootstrap}: agent alive, "
              f"logagent_kafka_broker_up={up}, errors by reason {err_reasons}, acked={ok:.0f}")
        e.check(up == 0, f"logagent_kafka_broker_up is {up} with no broker")
        e.check(ok == 0, f"{ok} events acknowledged with no broker")
        stderr = agent.stderr_bytes().decode("utf-8", "replace")
        problem = [l for l in stderr.splitlines()
                   if "kafka sink" in l and ("retrying" in l or "down" in l)]
        e.check(problem, "the agent did not log the unreachable broker on stderr")
        e.log(f"[unreachable] agent logged: {problem[0][:200]}")
        before = sum(load.written().values())
        broker.start()
        t_up = time.monotonic()
        time.sleep(2)
        written = load.stop()
        total = sum(written.values())
        waited = wait_acked(mport, total, agent)
        up = metric(mport, "logagent_kafka_broker_up")
        e.log(f"[unreachable] {before} lines written before the broker appeared, {total} in all; "
              f"all acknowledged {time.monotonic() - t_up:.1f} s after it appeared "
              f"({waited:.1f} s after the writer stopped); broker_up={up}")
        e.wait_pool_returned(mport, "unreachable", agent=agent)
        agent.stop(timeout=30)
        out = broker.consume("unreachable", "%s\n")
        rep = e.compare_by_id(written, [out.split(b"\n")[:-1]], allow_duplicates=True)
        rep.print("unreachable")
        rep.assert_ok("unreachable", allow_duplicates=True)
    finally:
        load.stop()
        agent.kill_if_running()
        broker.stop()


# --------------------------------------------------------------------------------------------
# b. kill -9 of the agent during an outage


def case_kill9(ctx: e.Context) -> None:
    logs = ctx.mkdir("b-logs")
    broker = KafkaBroker(ctx, keep_dir=True)
    broker.env["LOGAGENT_KAFKA_STATE"] = ctx.path("b-kafka-state")
    broker.env["LOGAGENT_KAFKA_DIR"] = ctx.path("b-kafka-data")
    mport = e.free_port()

    def config(run: int) -> str:
        snk = kafka_sink(broker.bootstrap, "kill9", "raw", headers={"run": str(run)})
        return e.make_config(ctx, paths=[os.path.join(logs, "*.log")], metrics_port=mport,
                             sinks=[snk], data_dir=ctx.path("b-data"),
                             file_name=f"b{run}.yaml", buffer_pool="16MiB")

    load = Load(logs).prime()
    agent = agent2 = None
    try:
        broker.start()
        agent = ctx.agent(config(1), label="b-agent").start()
        load.start()
        # Some lines delivered before the outage, however slow the machine.
        e.wait_for(lambda: (metric(mport, "logagent_sink_events_total", result="ok") or 0) > 0,
                   60, "run 1 acknowledging lines before the outage", agent=agent)
        time.sleep(2)  # a little more streaming, so the outage catches batches in flight
        broker.stop(keep=True)
        time.sleep(OUTAGE_S / 2)
        up = metric(mport, "logagent_kafka_broker_up")
        pending = metric(mport, "logagent_kafka_batches_pending")
        e.log(f"[kill9] broker down: broker_up={up}, batches pending={pending}, "
              f"{sum(load.written().values())} lines written; SIGKILL")
        agent.kill9()
        time.sleep(OUTAGE_S / 2)  # the writer keeps writing while nothing runs
        broker.start()
        agent2 = ctx.agent(config(2), label="b-agent2").start()
        time.sleep(3)
        written = load.stop()
        total = sum(written.values())
        # run 2 resumes from the checkpoint: it acknowledges at least what run 1 did not commit
        def caught_up() -> bool:
            m = e.try_scrape(mport)
            return (m is not None and m.get("logagent_input_bytes_behind") == 0
                    and m.get("logagent_kafka_batches_pending") == 0
                    and (m.get("logagent_sink_events_total", result="ok") or 0) > 0)

        e.wait_for(caught_up, timeout=60, what="run 2 caught up and acknowledged everything it read",
                   agent=agent2, interval=0.5)
        e.wait_pool_returned(mport, "kill9", agent=agent2)
        agent2.stop(timeout=30)
        out = broker.consume("kill9", "%h|%S|%s\n")
        runs, n = split_runs(out)
        e.log(f"[kill9] {n} messages: run 1 {len(runs[0]) if runs else 0}, "
              f"run 2 {len(runs[1]) if len(runs) > 1 else 0}")
        rep = e.compare_by_id(written, runs, allow_duplicates=True)
        rep.print("kill9")
        rep.assert_ok("kill9", allow_duplicates=True)
    finally:
        load.stop()
        for a in (agent, agent2):
            if a is not None:
                a.kill_if_running()
        broker.stop()


# --------------------------------------------------------------------------------------------
# c. checkpoints never pass unacknowledged data


def read_checkpoint(path: str) -> dict[str, int]:
    """<data_dir>/<pipeline>.checkpoint (agent/checkpoint/checkpoint_store.h) -> {path: offset}."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")
    e.check(lines[0] == "logagent-checkpoint 2", f"checkpoint header: {lines[0]!r}")
    out = {}
    for line in lines[1:]:
        if not line or line.startswith("end "):
            continue
        parts = line.split(" ", 6)
        p = parts[6]
        p = p.replace("\\\\", "\0").replace("\\n", "\n").replace("\0", "\\")
        out[p] = int(parts[4])
    return out


def kafka_prefix_ends(out: bytes) -> tuple[dict[str, int], dict[str, int], int]:
    """json messages -> per file: the end (offset+len+1) of the contiguous prefix of lines present
    (from offset 0), the end of the last line present, and the message count."""
    ends: dict[str, dict[int, int]] = collections.defaultdict(dict)
    n = 0
    for line in out.split(b"\n"):
        if not line:
            continue
        ev = e.parse_json_line(line, "checkpoint topic")
        ends[ev["file"]][ev["offset"]] = ev["offset"] + len(ev["message"].encode()) + 1
        n += 1
    prefix, last = {}, {}
    for f, m in ends.items():
        pos = 0
        while pos in m:
            pos = m[pos]
        prefix[f] = pos
        last[f] = max(m.values())
    return prefix, last, n


def check_checkpoint(label: str, cp: dict[str, int], prefix: dict[str, int],
                     last: dict[str, int]) -> None:
    for f, off in sorted(cp.items()):
        e.log(f"[checkpoint] {label}: {os.path.basename(f)} committed={off} "
              f"contiguous-in-kafka={prefix.get(f, 0)} last-line-end-in-kafka={last.get(f, 0)}")
        e.check(off <= last.get(f, 0),
                f"{label}: {f}: checkpoint {off} beyond the last line in Kafka "
                f"(ends at {last.get(f, 0)})")
        e.check(off <= prefix.get(f, 0),
                f"{label}: {f}: checkpoint {off} beyond a line missing from Kafka (contiguous "
                f"prefix ends at {prefix.get(f, 0)})")


def case_checkpoint(ctx: e.Context) -> None:
    logs = ctx.mkdir("c-logs")
    broker = KafkaBroker(ctx, keep_dir=True)
    broker.env["LOGAGENT_KAFKA_STATE"] = ctx.path("c-kafka-state")
    broker.env["LOGAGENT_KAFKA_DIR"] = ctx.path("c-kafka-data")
    mport = e.free_port()
    data = ctx.path("c-data")
    cp_path = os.path.join(data, "app.checkpoint")
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], metrics_port=mport,
                        sinks=[kafka_sink(broker.bootstrap, "ckpt", "json")], data_dir=data,
                        file_name="c.yaml", buffer_pool="16MiB")
    load = Load(logs).prime()
    agent = None
    try:
        broker.start()
        agent = ctx.agent(cfg, label="c-agent").start()
        load.start()
        e.wait_for(lambda: os.path.exists(cp_path)
                   and any(read_checkpoint(cp_path).values()), 30,
                   "a checkpoint with a committed offset", agent=agent)
        # While the broker is up: checkpoint first, then what Kafka holds (it only grows).
        for i in range(3):
            time.sleep(1.5)
            cp = read_checkpoint(cp_path)
            prefix, last, n = kafka_prefix_ends(consume_to_end(broker, "ckpt", "%s\n"))
            e.log(f"[checkpoint] live sample {i + 1}: {n} messages in Kafka")
            check_checkpoint(f"live {i + 1}", cp, prefix, last)
        broker.stop(keep=True)
        samples = []
        for _ in range(4):
            time.sleep(OUTAGE_S / 4)
            samples.append(read_checkpoint(cp_path))
        pending = metric(mport, "logagent_kafka_batches_pending")
        agent.kill9()  # nothing more can reach Kafka than what it holds now
        written = load.stop()
        e.log(f"[checkpoint] outage: {len(samples)} checkpoint samples, batches pending="
              f"{pending}; agent killed; {sum(written.values())} lines written")
        broker.start()
        out = consume_to_end(broker, "ckpt", "%s\n")
        prefix, last, n = kafka_prefix_ends(out)
        for i, cp in enumerate(samples):
            check_checkpoint(f"outage {i + 1}", cp, prefix, last)
        final = read_checkpoint(cp_path)
        check_checkpoint("after kill -9", final, prefix, last)
        # Counts for the record: lines before the last checkpoint are all in Kafka.
        msgs = [json.loads(l)["message"].encode() for l in out.split(b"\n") if l]
        present = e.delivered_ids(msgs)
        covered = {}
        for w in load.writers:
            covered[w.stream] = final.get(w.path, 0)
        rep = e.Report()
        rep.written = sum(written.values())
        rep.delivered = n
        rep.duplicates = n - sum(len(s) for s in present.values())
        # missing = lines wholly below the committed offset but absent from Kafka
        for w in load.writers:
            pos, seq = 0, 0
            with open(w.path, "rb") as f:
                for line in f:
                    pos += len(line)
                    if pos > covered[w.stream]:
                        break
                    if seq not in present.get(w.stream, set()):
                        rep.missing.append(f"stream={w.stream} seq={seq}")
                    seq += 1
        e.log(f"[checkpoint] committed offsets: "
              f"{ {s: covered[s] for s in covered} } bytes; lines in Kafka: {n}")
        e.log("[checkpoint] missing = lines wholly below the final committed offset but absent "
              "from Kafka; the rest were unacknowledged when the agent was killed")
        rep.print("checkpoint")
        rep.assert_ok("checkpoint", allow_duplicates=True)
    finally:
        load.stop()
        if agent is not None:
            agent.kill_if_running()
        broker.stop()


# --------------------------------------------------------------------------------------------
# d. a permanent refusal: rejected without a dead-letter file, dead-lettered with one


def case_rejected(ctx: e.Context) -> None:
    logs = ctx.mkdir("d-logs")
    broker = KafkaBroker(ctx)
    broker.env["LOGAGENT_KAFKA_STATE"] = ctx.path("d-kafka-state")
    mport = e.free_port()
    data = ctx.path("d-data")
    topic = "rejected"
    dlq = os.path.join(data, "app.kafka.deadletter.ndjson")

    def config(run: int, dead_letter: bool) -> str:
        snk = kafka_sink(broker.bootstrap, topic, "raw", dead_letter=dead_letter,
                         headers={"run": str(run)})
        return e.make_config(ctx, paths=[os.path.join(logs, "*.log")], metrics_port=mport,
                             sinks=[snk], data_dir=data, file_name=f"d{run}.yaml",
                             buffer_pool="16MiB")

    w = e.StreamWriter(logs, "a", pad_range=(40, 160), seed=11)
    big = b"BIG " + os.urandom(32 * 1024).hex().encode()  # ~64 KiB, zstd cannot shrink it to 4 KiB
    agents = []
    try:
        broker.start()
        broker.create_topic(topic, 1, max_message_bytes=4096)
        w.write(100)
        a1 = ctx.agent(config(1, dead_letter=False), label="d-agent1").start()
        agents.append(a1)
        wait_acked(mport, 100, a1)
        with w.lock:
            with open(w.path, "ab") as f:
                f.write(big + b"\n")
        w.write(50)
        e.wait_for(lambda: (metric(mport, "logagent_sink_batches_rejected_total") or 0) >= 1,
                   timeout=60, what="the batch with the big line rejected", agent=a1)

        def ready() -> tuple[int, str]:
            try:
                return e.http(mport, "/ready")
            except OSError as err:
                return 0, str(err)

        # (503 may come first for another reason: no broker statistics yet in the first second)
        e.wait_for(lambda: ready()[0] == 503 and "stopped:" in ready()[1], timeout=30,
                   what="/ready 503 saying the pipeline stopped", agent=a1)
        status, why = ready()
        e.log(f"[rejected] dead_letter false: /ready {status}: {why.strip()[:300]}")
        e.check("dead_letter" in why and "MSG_SIZE_TOO_LARGE" in why,
                f"/ready does not say why the pipeline stopped: {why!r}")
        e.check(a1.running(), f"the agent exited ({a1.returncode}) instead of reporting")
        cp_path = os.path.join(data, "app.checkpoint")  # (not written yet on a slow machine)
        cp = read_checkpoint(cp_path) if os.path.exists(cp_path) else {}
        with open(w.path, "rb") as f:
            content = f.read()
        big_at = content.index(big)
        e.check(cp.get(w.path, 0) <= big_at,
                f"the checkpoint ({cp.get(w.path)}) passed the rejected line (at {big_at})")
        e.check(not os.path.exists(dlq) or os.path.getsize(dlq) == 0,
                "dead-letter file written with dead_letter: false")
        a1.stop(timeout=30)
        cp = read_checkpoint(os.path.join(data, "app.checkpoint"))
        e.check(cp.get(w.path) == big_at,
                f"run 1's final checkpoint is {cp.get(w.path)}, not the rejected line's start "
                f"({big_at}): the lines before it were all delivered")
        stderr = a1.stderr_bytes().decode("utf-8", "replace")
        e.check("for good" in stderr, "the agent did not log Kafka's permanent refusal")
        held = consume_to_end(broker, topic, "%s\n").count(b"\n")
        e.log(f"[rejected] run 1: checkpoint at {cp.get(w.path)} (the big line at {big_at}); "
              f"Kafka holds {held} messages")

        a2 = ctx.agent(config(2, dead_letter=True), label="d-agent2").start()
        agents.append(a2)
        w.write(50)
        e.wait_for(lambda: (metric(mport, "logagent_sink_events_dead_lettered_total") or 0) >= 1,
                   timeout=60, what="the big line dead-lettered", agent=a2)

        def checkpoint_at_end() -> bool:
            cp = read_checkpoint(os.path.join(data, "app.checkpoint"))
            return cp.get(w.path) == os.path.getsize(w.path)

        e.wait_for(checkpoint_at_end, timeout=60, what="run 2 checkpointed the whole file",
                   agent=a2)
        e.wait_for(lambda: ready()[0] == 200, timeout=30, agent=a2,
                   what=f"/ready 200 after the dead-lettered batch (now: {ready()})")
        e.wait_pool_returned(mport, "rejected", agent=a2)
        a2.stop(timeout=30)
        a3 = ctx.agent(config(3, dead_letter=True), label="d-agent3").start()
        agents.append(a3)
        # Run 3 has the file and nothing behind: anything it sent again would show as acked.
        def run3_idle() -> bool:
            m = e.try_scrape(mport)
            return (m is not None and (m.get("logagent_input_files_watched") or 0) >= 1
                    and m.get("logagent_input_bytes_behind") == 0
                    and m.get("logagent_kafka_batches_pending") == 0)

        e.wait_for(run3_idle, timeout=30, what="run 3 following the file, nothing behind",
                   agent=a3)
        resent = metric(mport, "logagent_sink_events_total", result="ok") or 0
        e.check(resent == 0, f"run 3 sent {resent:.0f} events again")
        a3.stop(timeout=30)

        out = consume_to_end(broker, topic, "%h|%S|%s\n")
        runs, n = split_runs(out)
        dead = []
        if os.path.exists(dlq):
            with open(dlq, "rb") as f:
                dead = [json.loads(l)["message"].encode("utf-8", "surrogateescape")
                        for l in f if l.strip()]
        e.log(f"[rejected] {n} messages in Kafka (run 1: {len(runs[0]) if runs else 0}); "
              f"dead-lettered: {len(dead)} (the big line {'among them' if big in dead else 'NOT'})")
        e.check(all(m != big for r in runs for m in r), "the big line is in Kafka")
        e.check(dead.count(big) == 1, f"the big line dead-lettered {dead.count(big)} times")
        smalls = [[m for m in r if not m.startswith(b"BIG ")] for r in runs]
        smalls.append([m for m in dead if not m.startswith(b"BIG ")])
        rep = e.compare_by_id({"a": w.seq}, smalls, allow_duplicates=False)
        rep.print("rejected")
        rep.assert_ok("rejected", allow_duplicates=False)
    finally:
        for a in agents:
            a.kill_if_running()
        broker.stop()


# --------------------------------------------------------------------------------------------
# e. the topic deleted mid-stream and created again


def case_recreated(ctx: e.Context) -> None:
    logs = ctx.mkdir("e-logs")
    broker = KafkaBroker(ctx)
    broker.env["LOGAGENT_KAFKA_STATE"] = ctx.path("e-kafka-state")
    mport = e.free_port()
    data = ctx.path("e-data")
    topic = "recreated"
    dlq = os.path.join(data, "app.kafka.deadletter.ndjson")
    load = Load(logs).prime()
    agent = None
    try:
        broker.start()
        broker.create_topic(topic, 3)
        cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], metrics_port=mport,
                            sinks=[kafka_sink(broker.bootstrap, topic, "raw")], data_dir=data,
                            file_name="e.yaml", buffer_pool="16MiB")
        agent = ctx.agent(cfg, label="e-agent").start()
        load.start()
        wait_acked(mport, 3000, agent)
        broker._run("tool", "org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
                    broker.bootstrap, "--delete", "--topic", topic, timeout=120)
        at_delete = metric(mport, "logagent_sink_events_total", result="ok") or 0
        e.log(f"[recreated] topic deleted after {at_delete:.0f} lines acknowledged")
        # The new topic fills with what follows; keep writing until it has taken plenty.
        wait_acked(mport, int(at_delete) + 6000, agent, timeout=180)
        written = load.stop()
        wait_acked(mport, sum(written.values()), agent, timeout=180)
        dead = metric(mport, "logagent_sink_events_dead_lettered_total") or 0
        unknown = sum(metric(mport, "logagent_kafka_errors_total", reason=r) or 0
                      for r in ("_UNKNOWN_TOPIC", "_UNKNOWN_PARTITION", "UNKNOWN_TOPIC_OR_PART"))
        agent.stop(timeout=30)
        out = consume_to_end(broker, topic, "%s\n")
        messages = out.splitlines()
        # Per file: the lines the new topic holds must be one run with no gap up to the last
        # line written (duplicates allowed: at least once).
        first: dict[str, int] = {}
        seen: dict[str, set[int]] = collections.defaultdict(set)
        last: dict[str, int] = {}
        disorder = []
        for msg in messages:
            m = e.ID_RE.match(msg)
            e.check(m is not None, f"unexpected message {msg[:80]!r}")
            stream, seq = m.group(1).decode(), int(m.group(3))
            first.setdefault(stream, seq)
            if seq < last.get(stream, -1) and seq not in seen[stream]:
                disorder.append(f"{stream}: {seq} after {last[stream]}")
            last[stream] = max(seq, last.get(stream, -1))
            seen[stream].add(seq)
        missing = {s: [q for q in range(first.get(s, n), n) if q not in seen[s]]
                   for s, n in written.items()}
        n_missing = sum(len(v) for v in missing.values())
        e.log(f"[recreated] written {sum(written.values())}; the new topic holds "
              f"{len(messages)} messages from seq {first}; missing after those {n_missing}; "
              f"out of order {len(disorder)}; unknown-topic errors {unknown:.0f}; "
              f"dead-lettered {dead:.0f}")
        e.check(dead == 0 and (not os.path.exists(dlq) or os.path.getsize(dlq) == 0),
                f"{dead:.0f} lines dead-lettered although the topic came back")
        e.check(set(first) == set(written), f"streams missing from the new topic: {first}")
        e.check(n_missing == 0, f"lines missing from the new topic: "
                                f"{ {s: v[:10] for s, v in missing.items() if v} }")
        e.check(not disorder, f"out of order: {disorder[:10]}")
    finally:
        load.stop()
        if agent is not None:
            agent.kill_if_running()
        broker.stop()


CASES = {"a": ("unreachable", case_unreachable), "b": ("kill9", case_kill9),
         "c": ("checkpoint", case_checkpoint), "d": ("rejected", case_rejected),
         "e": ("recreated", case_recreated)}


def body(ctx: e.Context) -> None:
    wanted = os.environ.get("LOGAGENT_KAFKA_FAULT_CASES", "abcde")
    failures = []
    for key in wanted:
        name, fn = CASES[key]
        t0 = time.monotonic()
        e.log(f"=== case {key}: {name}")
        try:
            fn(ctx)
            e.log(f"=== case {key}: {name}: ok ({time.monotonic() - t0:.1f} s)")
        except e.TestFailure as err:
            e.log(f"=== case {key}: {name}: FAILED ({time.monotonic() - t0:.1f} s): {err}")
            failures.append(f"{name}: {err}")
    e.check(not failures, "; ".join(failures))


if __name__ == "__main__":
    e.main("kafka_faults", body)
