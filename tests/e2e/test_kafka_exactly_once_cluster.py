#!/usr/bin/env python3
"""delivery: exactly_once on the 3-broker cluster (tests/kafka/cluster.sh, through
test_kafka_cluster's Cluster; always stopped in `finally`): replication factor 3,
min.insync.replicas 2, __transaction_state with RF 3 too.

Two files are written the whole time; one agent ships them to a topic of one partition (order per
file) with exactly_once. First the agent's own offsets topic must have been created with RF 3 on
the cluster. Then, while lines flow:
1. leader: the leader of the data partition is killed with kill -9; commits go on with the two
   others; it is started again and the ISR heals.
2. coordinator: the transaction coordinator of the agent's transactional.id (TransactionsCommand
   describe) is killed with kill -9; another broker takes over its __transaction_state partition
   and commits go on; it is started again and the ISR heals.
3. agent: the agent itself is killed with kill -9 while a broker is down, and started again.
Then the topic is read with read_committed: missing 0, duplicates 0, order per file.
Waits are on conditions (lines committed, leaders, ISR), never on timing.
LOGAGENT_SKIP_KAFKA_CLUSTER=1 skips it, as test_kafka_cluster.
"""

import os
import re
import subprocess

import e2e_lib as e
from test_kafka_cluster import Cluster
from test_kafka_exactly_once import TOPIC, config, settle

PROGRESS = 1500  # lines acknowledged while a broker is down, to prove the transactions go on
COMMITS = 5      # and transactions committed


def replication(cluster: Cluster, topic: str) -> list[int]:
    """The replica count of each partition of `topic` ([] while the cluster does not know it)."""
    r = subprocess.run(["kcat", "-b", cluster.bootstrap, "-L", "-t", topic], capture_output=True,
                       text=True, timeout=60)
    found = re.finditer(r"replicas: ([\d,]+)", r.stdout)
    return [len(m.group(1).strip(",").split(",")) for m in found]


def coordinator(cluster: Cluster, txn_id: str) -> int:
    out = cluster.run("tool", "org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server",
                      cluster.bootstrap, "describe", "--transactional-id", txn_id)
    rows = [l.split() for l in out.splitlines() if l.strip()]
    return int(rows[1][rows[0].index("CoordinatorId")])


def committed(port: int) -> tuple[float, float]:
    """(transactions committed, lines acknowledged) by the agent so far."""
    m = e.try_scrape(port)
    if m is None:
        return 0, 0
    return (m.get("logagent_kafka_transactions_total", result="committed") or 0,
            m.get("logagent_sink_events_total", result="ok") or 0)


def wait_progress(port: int, agent: e.Agent, what: str) -> None:
    """Waits until transactions commit again: COMMITS more, and PROGRESS more lines acknowledged
    (a read_committed consumer, kcat -e, never reaches the end while transactions keep
    committing: its progress is read from the agent)."""
    txns, lines = committed(port)

    def moved() -> bool:
        t, l = committed(port)
        return t >= txns + COMMITS and l >= lines + PROGRESS
    waited = e.wait_for(moved, 240, f"{COMMITS} more commits {what}", interval=0.5, agent=agent)
    e.log(f"  {COMMITS} more commits, {PROGRESS} more lines {what} ({waited:.1f} s)")


def body(ctx: e.Context) -> None:
    if os.environ.get("LOGAGENT_SKIP_KAFKA_CLUSTER") == "1":
        e.log("SKIP kafka_exactly_once_cluster: LOGAGENT_SKIP_KAFKA_CLUSTER=1")
        return
    cluster = Cluster(ctx)
    logs = ctx.mkdir("logs")
    writers = {s: e.StreamWriter(logs, s, seed=i + 70) for i, s in enumerate("gh")}
    load = e.Background(lambda: [w.write(20) for w in writers.values()], 0.05)
    try:
        cluster.start()
        cluster.run("create-topic", TOPIC, "1")
        port = e.free_port()
        cfg = config(ctx, cluster, logs, "cluster.yaml", ctx.path("data"), metrics_port=port)
        agent = ctx.agent(cfg, label="agent").start()
        e.wait_for(lambda: b"transactional.id " in agent.stderr_bytes(), 120,
                   "transactions begun", agent=agent)
        txn_id = re.search(rb"transactional\.id (\S+),", agent.stderr_bytes()).group(1).decode()
        for topic in ("logagent-offsets", "__transaction_state"):
            e.wait_for(lambda: replication(cluster, topic), 60, f"{topic} known", agent=agent)
            e.check(set(replication(cluster, topic)) == {3},
                    f"{topic}: replicas per partition {replication(cluster, topic)}, want 3")
        e.log("offsets topic and __transaction_state: replication factor 3")
        load.start()
        wait_progress(port, agent, "before any fault")

        killed = int(cluster.run("kill-leader", TOPIC, "0"))
        e.log(f"1. killed broker {killed} (kill -9), leader of {TOPIC}/0")
        wait_progress(port, agent, f"with broker {killed} (the old leader) down")
        cluster.run("start-broker", str(killed))
        cluster.wait_healed(TOPIC, "leader")

        coord = coordinator(cluster, txn_id)
        cluster.run("kill-broker", str(coord))
        e.log(f"2. killed broker {coord} (kill -9), transaction coordinator of {txn_id}")
        wait_progress(port, agent, f"with broker {coord} (the old coordinator) down")

        agent.kill9()
        e.log(f"3. agent killed (kill -9) with broker {coord} down; started again")
        agent = ctx.agent(cfg, label="agent-2").start()
        wait_progress(port, agent, "after the agent's restart")
        cluster.run("start-broker", str(coord))
        cluster.wait_healed(TOPIC, "coordinator")
        cluster.wait_healed("__transaction_state", "coordinator")
        wait_progress(port, agent, "with every broker back")
        load.stop()
        settle(cluster, writers, "cluster", agent=agent)
        agent.stop(timeout=30)
    finally:
        if load.thread.ident is not None:
            load.stop()
        cluster.stop()


if __name__ == "__main__":
    e.main("kafka_exactly_once_cluster", body)
