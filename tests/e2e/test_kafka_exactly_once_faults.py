#!/usr/bin/env python3
"""delivery: exactly_once into Kafka under more faults (the basics: test_kafka_exactly_once.py,
whose config, read_committed and settle this reuses), against one real broker (kafka.sh).

Each case ships its own files to its own topic with its own offsets topic, and checks the topic
with a read_committed consumer: missing 0, duplicates 0, order kept per file.
a. truncate: copy-truncate rotation (the copy is not tailed), the agent killed with kill -9 at
   random moments in between, some truncations made while it is down.
b. reload: SIGHUP while transactions commit, with a change that keeps the pipeline (another
   pipeline added) and one that rebuilds it (transaction_interval); then both again while the
   broker is stopped (the broker starts again once the reload is done). The rebuilt pipeline
   cannot begin its transactions while the broker is away: it must be started again by itself
   once the broker is back (it used to stay stopped until the next reload).
c. many: 300 files of short lines, kill -9 at random moments.
d. stopped: after a few commits, the agent SIGSTOPped with a transaction open until the broker
   aborted it (transaction.timeout.ms 4 s), then SIGCONT: its producer is fenced, the pipeline
   starts again from the committed checkpoint by itself (logagent_pipeline_restarts_total).
e. offsets: the offsets topic deleted while the agent is down (the committed checkpoint gone).
   The agent starts from its local checkpoint file (written at every commit), says so in its log
   and counts it (logagent_checkpoint_local_fallbacks_total). After a SIGTERM the file holds the
   last commit: no duplicate. After a kill -9 it may be one commit behind: the lines of that
   commit come twice (the documented cost; counted and printed, not failed); none is missing.
The cluster faults (coordinator or leader killed) are in test_kafka_exactly_once_cluster.py.
About 3-4 minutes on 2 cores (b waits out the 30 s transaction set-up timeout while the broker is
away); LOGAGENT_EOS_CASES=ad runs a subset.
"""

import os
import random
import re
import time

import e2e_lib as e
from test_kafka_delivery import KafkaBroker
from test_kafka_exactly_once import config, read_committed, settle

FALLBACK_LOG = "no checkpoint committed"  # the start-up warning of case e


def setup(ctx: e.Context, name: str, broker: KafkaBroker, globs=("*.log",), port: int = 0,
          **sink: object) -> tuple[str, str, dict]:
    """A case's logs dir, config path and sink keys (own topic, own offsets topic)."""
    logs = ctx.mkdir(f"logs-{name}")
    extra = {"topic": f"eos-{name}", "offsets_topic": f"offsets-{name}", **sink}
    broker.create_topic(f"eos-{name}", 1)
    cfg = config(ctx, broker, logs, f"{name}.yaml", ctx.path(f"data-{name}"), globs=globs,
                 sink_extra=extra, metrics_port=port)
    return logs, cfg, extra


def committed_ids(broker: KafkaBroker, topic: str) -> dict[str, set]:
    return e.delivered_ids(read_committed(broker, topic))


def wait_committed(broker: KafkaBroker, topic: str, w: e.StreamWriter, agent: e.Agent) -> None:
    """Waits until every line `w` wrote is committed (before a copy-truncate, which loses what
    was not read)."""
    e.wait_for(lambda: len(committed_ids(broker, topic).get(w.stream, ())) >= w.seq, 120,
               f"every line of {w.stream} committed", interval=0.3, agent=agent)


def case_truncate(ctx: e.Context, broker: KafkaBroker) -> None:
    logs, cfg, _ = setup(ctx, "truncate", broker)
    topic = "eos-truncate"
    rng = random.Random(21)
    writers = {s: e.StreamWriter(logs, s, seed=i + 30) for i, s in enumerate("tu")}
    t = writers["t"]
    for n in range(8):
        agent = ctx.agent(cfg, label=f"truncate-{n}").start()
        for w in writers.values():
            w.write(rng.randint(200, 1500))
        if n % 3 == 0:  # truncated while the agent runs, then regrown at once
            t.copy_truncate(before_truncate=lambda: wait_committed(broker, topic, t, agent))
            t.write(rng.randint(5, 400))
        elif n % 3 == 1:  # truncated while the agent is down: it starts on the shorter file
            wait_committed(broker, topic, t, agent)
            agent.kill9()
            t.copy_truncate()
            t.write(rng.randint(5, 400))
            continue
        time.sleep(rng.uniform(0.1, 1.5))  # inside or between transactions
        agent.kill9()
    agent = ctx.agent(cfg, label="truncate-last").start()
    settle(broker, writers, "truncate", agent=agent, topic=topic)
    agent.stop(timeout=30)


def reloaded(agent: e.Agent, count: int, what: str) -> None:
    """Waits until the agent logged the end of its `count`-th reload."""
    e.wait_for(lambda: agent.stderr_bytes().count(b"reload: done:") >= count, 120,
               f"reload {count} ({what}) applied", interval=0.2, agent=agent)


def case_reload(ctx: e.Context, broker: KafkaBroker) -> None:
    logs, _, extra = setup(ctx, "reload", broker)
    side_logs = ctx.mkdir("logs-reload-side")
    side = {"name": "side", "input": {"type": "tail", "paths": [os.path.join(side_logs, "*.log")]},
            "sinks": [e.null_sink()]}

    def write_config(interval: str, with_side: bool) -> str:
        return config(ctx, broker, logs, "reload.yaml", ctx.path("data-reload"),
                      globs=("*.log",), sink_extra={**extra, "transaction_interval": interval},
                      extra_pipelines=[side] if with_side else [])

    writers = {s: e.StreamWriter(logs, s, seed=i + 40) for i, s in enumerate("rs")}
    agent = ctx.agent(write_config("200ms", False), label="reload").start()
    load = e.Background(lambda: [w.write(10) for w in writers.values()], 0.05).start()
    try:
        steps = [("kept: a pipeline added", "200ms", True, False),
                 ("rebuilt: transaction_interval", "300ms", True, False),
                 ("rebuilt, broker stopped", "250ms", True, True),
                 ("kept: a pipeline removed, broker stopped", "250ms", False, True)]
        for n, (what, interval, with_side, outage) in enumerate(steps, 1):
            time.sleep(1.0)  # lines flowing: a transaction is open or committing
            if outage:
                broker.stop(keep=True)
            write_config(interval, with_side)
            agent.send_signal(1)  # SIGHUP
            reloaded(agent, n, what)
            if outage:
                broker.start()
            if n == 3:  # its new pipeline could not begin (broker away): started again by itself
                e.wait_for(lambda: b"started again from the committed checkpoint"
                           in agent.stderr_bytes(), 180, "pipeline app started again",
                           interval=0.2, agent=agent)
            e.log(f"[reload] step {n} ({what}) applied")
    finally:
        load.stop()
    settle(broker, writers, "reload", agent=agent, topic="eos-reload")
    agent.stop(timeout=30)


def case_many(ctx: e.Context, broker: KafkaBroker) -> None:
    logs, cfg, _ = setup(ctx, "many", broker)
    rng = random.Random(23)
    writers = {f"m{i:03d}": e.StreamWriter(logs, f"m{i:03d}", pad_range=(0, 12), seed=i + 100)
               for i in range(300)}
    for n in range(10):
        agent = ctx.agent(cfg, label=f"many-{n}").start()
        for w in writers.values():
            w.write(rng.randint(1, 30))
        time.sleep(rng.uniform(0.3, 3.0))
        agent.kill9()
    agent = ctx.agent(cfg, label="many-last").start()
    settle(broker, writers, "many", agent=agent, topic="eos-many")
    agent.stop(timeout=30)


def txn_state(broker: KafkaBroker, txn_id: str) -> tuple[str, str]:
    """(state, producer epoch) of a transactional.id, as its coordinator describes it."""
    out = broker.tool("org.apache.kafka.tools.TransactionsCommand", "describe",
                      "--transactional-id", txn_id)
    rows = [l.split() for l in out.splitlines() if l.strip()]
    head = rows[0]
    row = rows[1]
    return row[head.index("TransactionState")], row[head.index("ProducerEpoch")]


def metric(port: int, name: str, **labels: str) -> float:
    m = e.try_scrape(port)
    return (m.get(name, **labels) or 0) if m else 0


def case_stopped(ctx: e.Context, broker: KafkaBroker) -> None:
    port = e.free_port()
    logs, cfg, _ = setup(ctx, "stopped", broker, port=port,
                         properties={"transaction.timeout.ms": "4000"})
    writers = {s: e.StreamWriter(logs, s, seed=i + 50) for i, s in enumerate("pq")}
    agent = ctx.agent(cfg, label="stopped").start()
    e.wait_for(lambda: b"transactional.id " in agent.stderr_bytes(), 60, "transactions begun",
               agent=agent)
    txn_id = re.search(rb"transactional\.id (\S+),", agent.stderr_bytes()).group(1).decode()
    load = e.Background(lambda: [w.write(40) for w in writers.values()], 0.05).start()
    try:
        # Some transactions committed first: the restart must start from a committed checkpoint.
        e.wait_for(lambda: metric(port, "logagent_kafka_transactions_total",
                                  result="committed") >= 3, 60, "3 transactions committed",
                   interval=0.2, agent=agent)
        for attempt in range(20):  # paused with a transaction open at the coordinator
            time.sleep(0.5)
            agent.pause()
            state, epoch = txn_state(broker, txn_id)
            if state == "Ongoing":
                break
            agent.resume()
        e.check(state == "Ongoing", f"never paused with a transaction open (last: {state})")
        e.log(f"[stopped] paused with transaction {txn_id} open (epoch {epoch})")
        e.wait_for(lambda: txn_state(broker, txn_id) != ("Ongoing", epoch), 120,
                   "the broker aborting the paused agent's transaction", interval=1)
        e.log(f"[stopped] the broker aborted it: {txn_state(broker, txn_id)}")
        agent.resume()
        e.wait_for(lambda: b"starting from the checkpoint committed" in agent.stderr_bytes(), 120,
                   "the restart from the committed checkpoint", interval=0.5, agent=agent)
        e.wait_for(lambda: metric(port, "logagent_pipeline_restarts_total", pipeline="app") >= 1,
                   120, "the pipeline started again by itself", interval=0.5, agent=agent)
        time.sleep(1.0)  # lines still flowing after the restart
    finally:
        load.stop()
    settle(broker, writers, "stopped", agent=agent, topic="eos-stopped")
    agent.stop(timeout=30)


def case_offsets(ctx: e.Context, broker: KafkaBroker) -> None:
    port = e.free_port()
    logs, cfg, _ = setup(ctx, "offsets", broker, port=port)
    writers = {s: e.StreamWriter(logs, s, seed=i + 60) for i, s in enumerate("xy")}
    rng = random.Random(25)
    for n, kill in enumerate([False, True, True]):
        agent = ctx.agent(cfg, label=f"offsets-{n}").start()
        for w in writers.values():
            w.write(rng.randint(500, 3000))
        if kill:
            time.sleep(rng.uniform(0.3, 2.0))
            agent.kill9()
        else:
            settle(broker, writers, f"offsets-{n}", agent=agent, topic="eos-offsets")
            agent.stop(timeout=30)
        broker.delete_topic("offsets-offsets")
        agent = ctx.agent(cfg, label=f"offsets-{n}-after").start()
        e.wait_for(lambda: FALLBACK_LOG.encode() in agent.stderr_bytes(), 60,
                   "the warning that the committed checkpoint is gone", agent=agent)
        e.wait_for(lambda: metric(port, "logagent_checkpoint_local_fallbacks_total",
                                  pipeline="app") == 1, 30, "the fallback counted", agent=agent)
        rep = settle(broker, writers, f"offsets-{n}", agent=agent, topic="eos-offsets",
                     allow_duplicates=kill)
        e.log(f"[offsets-{n}] {'kill -9' if kill else 'SIGTERM'}, offsets topic deleted: "
              f"{rep.duplicates} duplicate(s)")
        agent.stop(timeout=30)


CASES = {"a": case_truncate, "b": case_reload, "c": case_many, "d": case_stopped,
         "e": case_offsets}


def body(ctx: e.Context) -> None:
    broker = KafkaBroker(ctx, keep_dir=True).start()
    try:
        for key in os.environ.get("LOGAGENT_EOS_CASES", "".join(CASES)):
            e.log(f"--- case {key}: {CASES[key].__name__}")
            t0 = time.monotonic()
            CASES[key](ctx, broker)
            e.log(f"--- case {key} passed ({time.monotonic() - t0:.1f} s)")
    finally:
        broker.stop()


if __name__ == "__main__":
    e.main("kafka_exactly_once_faults", body)
