#!/usr/bin/env python3
"""delivery: exactly_once into Kafka (issue 15), against a real broker (tests/kafka/kafka.sh).

The pipeline (agent/pipeline/exactly_once.cc) gives the Kafka sink its checkpoint; the sink
(plugins/sinks/kafka/kafka_sink_transaction.cc) commits it in the transaction of the batches it
covers, and a restarted agent starts from the one committed last.

Every scenario reads the topic back with a read_committed consumer (kcat -X
isolation.level=read_committed) and compares it with what the writers wrote: missing 0,
duplicates 0, order kept per file (the data topic has one partition, so a file renamed by a
rotation -- whose lines the sink's partitioner would otherwise spread over two partitions -- is
still read in order).
1. kill9: kill -9 at random moments, 20 times, with a rename rotation while the agent is down.
2. zombie: a second agent with the same host, pipeline and sink (so the same transactional.id)
   started beside the live one; one of them is fenced; no line twice.
3. outage: the broker stopped mid-transaction and started again (data kept).
"""

import os
import random
import subprocess
import time

import e2e_lib as e
from test_kafka_delivery import KafkaBroker

TOPIC = "eos"
KILLS = 20


def config(ctx: e.Context, broker: KafkaBroker, logs: str, name: str, data_dir: str, *,
           globs: tuple[str, ...] = ("*.log*",), sink_extra: dict | None = None,
           metrics_port: int = 0, extra_pipelines: list[dict] | None = None) -> str:
    """The agent's configuration: pipeline "app" tails `globs` under `logs` into TOPIC with
    delivery: exactly_once. `sink_extra` adds or overrides sink keys; `metrics_port` serves
    /metrics (0: none); `extra_pipelines` are added as they are."""
    sink = {"type": "kafka", "brokers": broker.bootstrap.split(","), "topic": TOPIC,
            "format": "raw", "transaction_interval": "200ms"}
    sink.update(sink_extra or {})
    cfg = {
        "data_dir": data_dir,
        "metrics": {"listen": f"127.0.0.1:{metrics_port}" if metrics_port else ""},
        "checkpoint_interval": "500ms",
        "shutdown_timeout": "10s",
        "pipelines": [{
            "name": "app", "workers": 2, "delivery": "exactly_once",
            "input": {"type": "tail", "paths": [os.path.join(logs, g) for g in globs],
                      "read_from": "head", "scan_interval": "200ms"},
            "sinks": [sink],
        }] + (extra_pipelines or []),
    }
    return e.write_config(ctx.path(name), cfg)


def supported(ctx: e.Context) -> bool:
    """True when this build's pipeline accepts `delivery: exactly_once`."""
    path = config(ctx, KafkaBroker(ctx), ctx.mkdir("probe"), "probe.yaml", ctx.path("probe-data"))
    r = subprocess.run([ctx.logagent, "validate", "-c", path], capture_output=True, text=True,
                       timeout=30)
    return r.returncode == 0


def read_committed(broker: KafkaBroker, topic: str = TOPIC) -> list[bytes]:
    """Every message of `topic` a read_committed consumer sees (`broker`: anything with a
    bootstrap, such as test_kafka_cluster's Cluster)."""
    argv = ["kcat", "-b", broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
            "-X", "isolation.level=read_committed", "-f", "%s\n"]
    r = subprocess.run(argv, capture_output=True, timeout=120)
    e.check(r.returncode == 0, f"kcat failed ({r.returncode}): {r.stderr[-2000:]!r}")
    return r.stdout.splitlines()


def settle(broker: KafkaBroker, writers: dict, label: str, agent: e.Agent | None = None,
           allow_duplicates: bool = False, topic: str = TOPIC) -> e.Report:
    """Waits until the read_committed view holds every line written, then checks it exactly
    (missing 0, order per file, and duplicates 0 unless `allow_duplicates`)."""
    written = {s: w.seq for s, w in writers.items()}
    e.wait_for(lambda: len(read_committed(broker, topic)) >= sum(written.values()), 120,
               f"{label}: every line committed", interval=0.5, agent=agent)
    rep = e.compare_by_id(written, [read_committed(broker, topic)],
                          allow_duplicates=allow_duplicates)
    rep.print(label)
    rep.assert_ok(label, allow_duplicates=allow_duplicates)
    return rep


def kill9(ctx: e.Context, broker: KafkaBroker, logs: str, writers: dict) -> None:
    rng = random.Random(15)
    cfg = config(ctx, broker, logs, "kill9.yaml", ctx.path("data-kill9"))
    for n in range(KILLS):
        agent = ctx.agent(cfg, label=f"kill9-{n}").start()
        for w in writers.values():
            w.write(rng.randint(200, 2000))
        time.sleep(rng.uniform(0.2, 2.0))  # a random moment: inside or between transactions
        agent.kill9()
        if n % 4 == 3:
            writers["a"].rotate_rename_to(os.path.join(logs, f"a.log.{n}"))
    agent = ctx.agent(cfg, label="kill9-last").start()
    settle(broker, writers, "kill9")
    agent.stop(timeout=30)


def zombie(ctx: e.Context, broker: KafkaBroker, logs: str, writers: dict) -> None:
    # Same host, pipeline and sink label: the same transactional.id. Separate data dirs, so the
    # zombie's local checkpoint cannot help it: only Kafka's committed one can.
    live = ctx.agent(config(ctx, broker, logs, "live.yaml", ctx.path("data-live")),
                     label="live").start()
    writers["b"].write(5000)
    zombie_agent = ctx.agent(config(ctx, broker, logs, "zombie.yaml", ctx.path("data-zombie")),
                             label="zombie").start()
    writers["b"].write(5000)
    time.sleep(3)
    zombie_agent.stop(timeout=30)
    settle(broker, writers, "zombie")
    live.stop(timeout=30)


def outage(ctx: e.Context, broker: KafkaBroker, logs: str, writers: dict) -> None:
    agent = ctx.agent(config(ctx, broker, logs, "outage.yaml", ctx.path("data-outage")),
                      label="outage").start()
    writers["a"].write(3000)
    time.sleep(0.5)  # a transaction is open
    broker.stop(keep=True)
    writers["a"].write(3000)
    time.sleep(5)
    broker.start()
    settle(broker, writers, "outage")
    agent.stop(timeout=30)


def body(ctx: e.Context) -> None:
    e.check(supported(ctx), "logagent validate refuses `delivery: exactly_once`")
    logs = ctx.mkdir("logs")
    writers = {s: e.StreamWriter(logs, s, seed=i + 1) for i, s in enumerate("ab")}
    broker = KafkaBroker(ctx, keep_dir=True).start()
    try:
        broker.create_topic(TOPIC, 1)
        kill9(ctx, broker, logs, writers)
        zombie(ctx, broker, logs, writers)
        outage(ctx, broker, logs, writers)
    finally:
        broker.stop()


if __name__ == "__main__":
    e.main("kafka_exactly_once", body)
