#!/usr/bin/env python3
"""delivery: exactly_once with lines Kafka refuses for good, against a real broker.

The data topic is created with max.message.bytes 4096; the producer's message.max.bytes is set
to 200000 and its batch.size to 3000 (`properties:`). Among normal lines the file gets:
- BIG1: ~64 KiB -- under the producer's limit, so it is produced and the broker refuses it
  (MSG_SIZE_TOO_LARGE inside the transaction). The sink remembers it
  (<data_dir>/<pipeline>.<sink>.refused), aborts, the pipeline restarts from the committed
  checkpoint and dead-letters BIG1 without producing it;
- BIG2: ~300 KiB -- over the producer's limit: librdkafka refuses it before it enters the
  transaction, so it is dead-lettered at once, with no restart.
Checked: every normal line exactly once in the read_committed view (order kept), BIG1 and BIG2
once each in the dead-letter file and never in Kafka, restarts bounded (logagent_pipeline_
restarts_total at most 2), the pipeline keeps going (lines written after both are delivered),
and a second agent started on the same data sends nothing again.
"""

import json
import os
import subprocess

import e2e_lib as e
from test_kafka_delivery import KafkaBroker

TOPIC = "eos-refused"


def config(ctx: e.Context, broker: KafkaBroker, logs: str, data: str, port: int,
           name: str) -> str:
    sink = {"type": "kafka", "brokers": [broker.bootstrap], "topic": TOPIC, "format": "raw",
            "transaction_interval": "200ms",
            # batch.size under the topic's limit: the broker judges whole record batches, and a
            # line over batch.size travels alone, so a refusal names that line only (README).
            "properties": {"message.max.bytes": "200000", "batch.size": "3000"}}
    cfg = {
        "data_dir": data,
        "metrics": {"listen": f"127.0.0.1:{port}"},
        "memory": {"buffer_pool": "32MiB"},
        "checkpoint_interval": "500ms",
        "shutdown_timeout": "10s",
        "pipelines": [{
            "name": "app", "workers": 2, "delivery": "exactly_once",
            "input": {"type": "tail", "paths": [os.path.join(logs, "*.log")],
                      "read_from": "head", "scan_interval": "200ms"},
            "sinks": [sink],
        }],
    }
    return e.write_config(ctx.path(name), cfg)


def read_committed(broker: KafkaBroker) -> list[bytes]:
    argv = ["kcat", "-b", broker.bootstrap, "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q",
            "-X", "isolation.level=read_committed", "-f", "%s\n"]
    r = subprocess.run(argv, capture_output=True, timeout=120)
    e.check(r.returncode == 0, f"kcat failed ({r.returncode}): {r.stderr[-2000:]!r}")
    return r.stdout.splitlines()


def metric(port: int, name: str) -> float:
    m = e.try_scrape(port)
    return (m.get(name) if m else None) or 0


def dead_lettered(path: str) -> list[bytes]:
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return [json.loads(l)["message"].encode("utf-8", "surrogateescape") for l in f if l.strip()]


def append(w: e.StreamWriter, line: bytes) -> None:
    with w.lock:
        with open(w.path, "ab") as f:
            f.write(line + b"\n")


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    data = ctx.path("data")
    dlq = os.path.join(data, "app.kafka.deadletter.ndjson")
    port = e.free_port()
    w = e.StreamWriter(logs, "a", seed=3)
    big1 = b"BIG1 " + os.urandom(32 * 1024).hex().encode()   # over the topic's 4 KiB
    big2 = b"BIG2 " + os.urandom(150 * 1024).hex().encode()  # over the producer's 200000 bytes
    broker = KafkaBroker(ctx).start()
    agent = None
    try:
        broker.create_topic(TOPIC, 1, max_message_bytes=4096)
        agent = ctx.agent(config(ctx, broker, logs, data, port, "a.yaml"), label="agent").start()
        w.write(500)
        append(w, big1)
        w.write(500)
        append(w, big2)
        w.write(500)
        e.wait_for(lambda: len(dead_lettered(dlq)) >= 2, 120, "both big lines dead-lettered",
                   agent=agent)
        w.write(500)  # the pipeline keeps going after them
        e.wait_for(lambda: len(read_committed(broker)) >= w.seq, 120, "every line committed",
                   agent=agent)
        restarts = metric(port, "logagent_pipeline_restarts_total")
        e.log(f"[refused] pipeline restarts: {restarts:.0f}")
        e.check(1 <= restarts <= 2, f"{restarts:.0f} restarts (expected 1: BIG1's abort)")
        agent.stop(timeout=30)
        stderr = agent.stderr_bytes().decode("utf-8", "replace")
        e.check("refused a message for good inside the transaction" in stderr,
                "the agent did not log the refusal inside the transaction")

        # A second agent on the same data: the refused lines were forgotten once committed,
        # nothing is read again.
        again = ctx.agent(config(ctx, broker, logs, data, port, "b.yaml"), label="again").start()
        w.write(100)
        e.wait_for(lambda: len(read_committed(broker)) >= w.seq, 120, "the last lines committed",
                   agent=again)
        again.stop(timeout=30)
        refused_file = os.path.join(data, "app.kafka.refused")
        e.check(not os.path.exists(refused_file) or os.path.getsize(refused_file) == 0,
                f"{refused_file} still remembers lines after their dead letter was committed")

        out = read_committed(broker)
        dead = dead_lettered(dlq)
        e.check(big1 not in out and big2 not in out, "a big line is in Kafka")
        e.check(dead.count(big1) == 1 and dead.count(big2) == 1,
                f"dead-lettered: BIG1 {dead.count(big1)} times, BIG2 {dead.count(big2)} times "
                f"({len(dead)} in all)")
        e.check(len(dead) == 2, f"{len(dead)} lines dead-lettered, expected the 2 big ones")
        rep = e.compare_by_id({"a": w.seq}, [out], allow_duplicates=False)
        rep.print("refused")
        rep.assert_ok("refused", allow_duplicates=False)
    finally:
        if agent is not None:
            agent.kill_if_running()
        broker.stop()


if __name__ == "__main__":
    e.main("kafka_exactly_once_refused", body)
