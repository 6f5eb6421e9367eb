#!/usr/bin/env python3
"""Failover on a 3-broker Kafka cluster (tests/kafka/cluster.sh on free ports, its own state and
data dir; always stopped in `finally`).

Every case streams id lines into six files the whole time, and a fresh agent ships them to a fresh
topic of 6 partitions with replication factor 3 (min.insync.replicas 2, acks all, key {file} so a
file stays in one partition, in order). While it streams:
a. leader: the leader of a partition being written is killed with SIGKILL; the others take over;
   the broker is started again and the partitions heal (full ISR).
b. rolling: each broker in turn is stopped (SIGTERM), lines keep being acknowledged, it is
   started again, and the next one waits until no partition is under-replicated.
c. hung: the leader of a partition being written is stopped with SIGSTOP (it accepts connections
   and answers nothing); the controller fences it and moves its leaderships within seconds, but
   the agent learns of it only when librdkafka gives up on the hung connection (socket.timeout.ms,
   60 s by default); after lines were acknowledged again it gets SIGCONT and rejoins.
Then the writer stops, the agent acknowledges every line, the topic is read back (every
partition) and compared with the files: no line missing, each file's lines in order and in one
partition; duplicates are counted and printed (at least once allows them). The agent's RSS is
sampled all along and must stay within its pool + producer queue + a fixed overhead. The agent
must have seen the leaders move: logagent_kafka_leader_changes_total counts them and its log has
a "partition leader(s) moved" line (each case waits for the metric before it counts progress).

Waits are on conditions with generous deadlines, never on timing. LOGAGENT_KAFKA_CLUSTER_CASES=ab
runs a subset; LOGAGENT_SKIP_KAFKA_CLUSTER=1 skips the test (about 3 minutes on 2 cores).
"""

import collections
import os
import subprocess
import threading
import time

import e2e_lib as e

STREAMS = ["a", "b", "c", "d", "e", "f"]
PARTITIONS = 6
LINES_PER_TICK = 10   # per stream, every TICK seconds: ~1.2k lines/s in total
TICK = 0.05
POOL_MIB = 16
QUEUE_MIB = 8
OVERHEAD_MIB = 96      # as test_kafka_outage: binary, libraries, librdkafka, metrics, slack
PROGRESS = 2000        # lines acknowledged while a broker is down/hung, to prove failover


class Cluster:
    """tests/kafka/cluster.sh with a private state dir and six free ports."""

    def __init__(self, ctx: e.Context):
        self.script = os.path.join(ctx.source_dir, "tests", "kafka", "cluster.sh")
        self.env = dict(os.environ, LOGAGENT_KAFKA_CLUSTER_STATE=ctx.path("cluster-state"),
                        LOGAGENT_KAFKA_CLUSTER_DIR=ctx.path("cluster-data"))
        ports = set()
        while len(ports) < 6:
            ports.add(e.free_port())
        ports = sorted(ports)
        self.ports, self.cports = ports[:3], ports[3:]
        self.bootstrap = ",".join(f"127.0.0.1:{p}" for p in self.ports)
        self.started = False

    def run(self, *args: str, timeout: float = 180) -> str:
        r = subprocess.run([self.script, *args], env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        e.check(r.returncode == 0, f"cluster.sh {' '.join(args)} failed ({r.returncode}):\n"
                                   f"{r.stderr[-3000:]}")
        return r.stdout.strip()

    def start(self) -> None:
        t0 = time.monotonic()
        self.started = True
        self.run("start", "--ports", ",".join(map(str, self.ports)),
                 "--controller-ports", ",".join(map(str, self.cports)))
        e.log(f"cluster up on {self.bootstrap} in {time.monotonic() - t0:.1f} s")

    def stop(self) -> None:
        if self.started:
            self.run("stop", timeout=120)
            self.started = False

    def leader(self, topic: str, partition: int) -> int:
        """The leader's broker id; -1 while there is none (or no live broker answers)."""
        r = subprocess.run([self.script, "leader", topic, str(partition)], env=self.env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        return int(r.stdout) if r.returncode == 0 and r.stdout.strip().isdigit() else -1

    def under_replicated(self, topic: str) -> list[str]:
        return [l for l in self.run("under-replicated", topic).splitlines() if l]

    def wait_healed(self, topic: str, what: str) -> None:
        waited = e.wait_for(lambda: not self.under_replicated(topic), 180,
                            f"{what}: every partition of {topic} with its full ISR", interval=1)
        e.log(f"  {what}: ISR full again after {waited:.1f} s")

    def consume(self, topic: str, count: int | None = None) -> list[tuple[int, bytes]]:
        """(partition, message) of every message of `topic` (or of the first `count`), each
        partition in offset order. Without `count`, nothing may be writing (kcat -e ends when
        every partition is at its end)."""
        argv = ["kcat", "-b", self.bootstrap, "-C", "-t", topic, "-o", "beginning", "-q",
                "-f", "%p %s\n"]
        argv += ["-c", str(count)] if count else ["-e"]
        r = subprocess.run(argv, capture_output=True, timeout=180)
        e.check(r.returncode == 0, f"kcat failed ({r.returncode}): {r.stderr[-2000:]!r}")
        out = []
        for line in r.stdout.split(b"\n")[:-1]:
            p, _, msg = line.partition(b" ")
            out.append((int(p), msg))
        return out


class Load:
    """Appends id lines to every stream until stopped; samples the agent's RSS meanwhile."""

    def __init__(self, logs: str):
        self.writers = [e.StreamWriter(logs, s, pad_range=(40, 160), seed=i + 3)
                        for i, s in enumerate(STREAMS)]
        for w in self.writers:
            w.write(1)  # the files exist before the agent starts
        self.pid = 0
        self.peak_rss = 0
        self.rss_samples: list[int] = []
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        next_sample = 0.0
        while not self.stop_ev.is_set():
            for w in self.writers:
                w.write(LINES_PER_TICK)
            if self.pid and time.monotonic() >= next_sample:
                rss = rss_bytes(self.pid)
                self.peak_rss = max(self.peak_rss, rss)
                self.rss_samples.append(rss)
                next_sample = time.monotonic() + 0.5
            time.sleep(TICK)

    def start(self, pid: int) -> "Load":
        self.pid = pid
        self.thread.start()
        return self

    def stop(self) -> dict[str, int]:
        self.stop_ev.set()
        self.thread.join()
        return {w.stream: w.seq for w in self.writers}

    def written(self) -> int:
        return sum(w.seq for w in self.writers)


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def acked(port: int) -> float:
    m = e.try_scrape(port)
    return (m.get("logagent_sink_events_total", result="ok") or 0) if m else 0


def wait_progress(port: int, agent: e.Agent, what: str, lines: int = PROGRESS) -> None:
    """Waits until `lines` more lines are acknowledged: delivery goes on despite `what`."""
    base = acked(port)
    waited = e.wait_for(lambda: acked(port) >= base + lines, 240,
                        f"{lines} more lines acknowledged {what}", interval=0.2, agent=agent)
    e.log(f"  {lines} more lines acknowledged {what} ({waited:.1f} s)")


def leader_changes(port: int) -> float:
    m = e.try_scrape(port)
    return (m.get("logagent_kafka_leader_changes_total") or 0) if m else 0


def wait_agent_saw_move(port: int, agent: e.Agent, base: float, what: str) -> None:
    """Waits until the agent's logagent_kafka_leader_changes_total passed `base`."""
    waited = e.wait_for(lambda: leader_changes(port) > base, 240,
                        f"the agent to see partition leaders move {what}", interval=0.2,
                        agent=agent)
    e.log(f"  the agent saw {leader_changes(port) - base:.0f} leader move(s) {what} "
          f"({waited:.1f} s)")


def busiest_partition(cluster: Cluster, topic: str) -> int:
    """The partition holding most of the lines so far (one being written)."""
    counts = collections.Counter(p for p, _ in cluster.consume(topic, count=PROGRESS // 2))
    e.check(bool(counts), f"{topic}: nothing delivered yet")
    return counts.most_common(1)[0][0]


def case_leader(cluster: Cluster, topic: str, port: int, agent: e.Agent) -> None:
    part = busiest_partition(cluster, topic)
    base = leader_changes(port)
    killed = int(cluster.run("kill-leader", topic, str(part)))
    e.log(f"  killed broker {killed} (SIGKILL), leader of {topic}/{part}")
    e.wait_for(lambda: cluster.leader(topic, part) not in (killed, -1), 120,
               f"a new leader for {topic}/{part}", interval=0.5, agent=agent)
    e.log(f"  {topic}/{part} now led by broker {cluster.leader(topic, part)}")
    wait_agent_saw_move(port, agent, base, f"after broker {killed} died")
    wait_progress(port, agent, f"with broker {killed} dead")
    e.log(f"  {len(cluster.under_replicated(topic))} partition(s) of {topic} under-replicated")
    cluster.run("start-broker", str(killed))
    cluster.wait_healed(topic, f"broker {killed} restarted")


def case_rolling(cluster: Cluster, topic: str, port: int, agent: e.Agent) -> None:
    # Each broker stopped leads partitions: 2 of the 6 at first, and a restarted broker leads
    # none again until Kafka's leader rebalance (5 minutes), so every stop moves leaders.
    for n in (1, 2, 3):
        base = leader_changes(port)
        cluster.run("stop-broker", str(n))
        e.log(f"  broker {n} stopped (SIGTERM)")
        wait_agent_saw_move(port, agent, base, f"after broker {n} stopped")
        wait_progress(port, agent, f"with broker {n} stopped")
        e.log(f"  {len(cluster.under_replicated(topic))} partition(s) of {topic} "
              "under-replicated")
        cluster.run("start-broker", str(n))
        cluster.wait_healed(topic, f"broker {n} restarted")


def case_hung(cluster: Cluster, topic: str, port: int, agent: e.Agent) -> None:
    part = busiest_partition(cluster, topic)
    hung = cluster.leader(topic, part)
    e.check(hung > 0, f"no leader for {topic}/{part}")
    base = leader_changes(port)
    cluster.run("pause", str(hung))
    e.log(f"  broker {hung} stopped with SIGSTOP (leader of {topic}/{part})")
    try:
        e.wait_for(lambda: cluster.leader(topic, part) not in (hung, -1), 120,
                   f"a new leader for {topic}/{part}", interval=0.5, agent=agent)
        e.log(f"  {topic}/{part} now led by broker {cluster.leader(topic, part)}")
        wait_agent_saw_move(port, agent, base, f"after broker {hung} hung")
        wait_progress(port, agent, f"with broker {hung} hung")
    finally:
        cluster.run("resume", str(hung))
    e.log(f"  broker {hung} resumed (SIGCONT)")
    cluster.wait_healed(topic, f"broker {hung} resumed")


CASES = {"a": ("leader", case_leader), "b": ("rolling", case_rolling), "c": ("hung", case_hung)}


def check_topic(cluster: Cluster, topic: str, written: dict[str, int]) -> e.Report:
    """Every line in the topic, each stream in one partition and in order."""
    messages = cluster.consume(topic)
    where: dict[str, set] = collections.defaultdict(set)
    for p, msg in messages:
        m = e.ID_RE.match(msg)
        if m:
            where[m.group(1).decode()].add(p)
    split = {s: sorted(ps) for s, ps in where.items() if len(ps) > 1}
    e.check(not split, f"{topic}: files spread over several partitions: {split}")
    # Per partition in offset order; a file lives in one partition, so its order is the topic's.
    rep = e.compare_by_id(written, [[msg for _, msg in messages]], allow_duplicates=True)
    e.log(f"  {len(messages)} messages over partitions {sorted(set(p for p, _ in messages))}")
    return rep


def disruption_seen(port: int) -> dict[str, float]:
    """The agent's Kafka error and retry counters, by name (only the non-zero ones)."""
    m = e.scrape(port)
    out = {}
    for name, labels, value in m.samples:
        if value and name in ("logagent_kafka_errors_total", "logagent_kafka_retries_total",
                              "logagent_kafka_leader_changes_total",
                              "logagent_kafka_request_retries_total",
                              "logagent_kafka_producer_recreated_total"):
            out[name + (f"{{{labels['reason']}}}" if "reason" in labels else "")] = value
    return out


def run_case(ctx: e.Context, cluster: Cluster, key: str) -> None:
    label, event = CASES[key]
    topic = f"cluster-{label}"
    e.log(f"[{label}] case {key}")
    cluster.run("create-topic", topic, str(PARTITIONS))
    logs = ctx.mkdir(f"logs-{label}")
    mport = e.free_port()
    snk = {"type": "kafka", "brokers": cluster.bootstrap.split(","), "topic": topic,
           "format": "raw", "key": "{file}", "acks": "all", "queue_bytes": f"{QUEUE_MIB}MiB"}
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=[snk], workers=2,
                        metrics_port=mport, buffer_pool=f"{POOL_MIB}MiB",
                        data_dir=ctx.path(f"data-{label}"), file_name=f"{label}.yaml")
    load = Load(logs)
    agent = ctx.agent(cfg, label=label).start()
    load.start(agent.pid)
    try:
        wait_progress(mport, agent, "before the event")
        event(cluster, topic, mport, agent)
        wait_progress(mport, agent, "after the event")
    finally:
        written = load.stop()
    total = sum(written.values())
    waited = e.wait_for(lambda: acked(mport) >= total, 240,
                        f"{total} lines acknowledged by the kafka sink", interval=0.2, agent=agent)
    e.log(f"  all {total} lines acknowledged {waited:.1f} s after the writer stopped")
    seen = disruption_seen(mport)
    dead = e.scrape(mport).get("logagent_sink_events_dead_lettered_total")
    agent.stop(timeout=30)
    rep = check_topic(cluster, topic, written)
    rep.print(label)
    samples = [r for r in load.rss_samples if r > 0] or [0]
    e.log(f"  agent rss: peak {load.peak_rss / 2**20:.0f} MiB, first {samples[0] / 2**20:.0f} "
          f"MiB, last {samples[-1] / 2**20:.0f} MiB ({len(samples)} samples); metrics: {seen}")
    rep.assert_ok(label, allow_duplicates=True)
    e.check(not dead, f"{label}: {dead} events dead-lettered")
    check_told(label, agent, seen)
    limit = (POOL_MIB + QUEUE_MIB + OVERHEAD_MIB) * 2**20
    if os.environ.get("LOGAGENT_SANITIZED") != "1":  # under ASan RSS is shadow memory
        e.check(load.peak_rss <= limit,
                f"{label}: peak RSS {load.peak_rss / 2**20:.0f} MiB above "
                f"{limit / 2**20:.0f} MiB")


def check_told(label: str, agent: e.Agent, seen: dict[str, float]) -> None:
    """The agent's metrics and log say that partition leaders moved; its Kafka lines printed."""
    log = agent.stderr_bytes().decode("utf-8", "replace")
    told = [l for l in log.splitlines() if "kafka sink" in l and "producing to" not in l]
    for line in told[:6]:
        e.log(f"  log: {line[:200]}")
    e.check(seen.get("logagent_kafka_leader_changes_total", 0) > 0,
            f"{label}: logagent_kafka_leader_changes_total did not count the failover ({seen})")
    e.check(any("partition leader(s) moved" in l for l in told),
            f"{label}: the agent's log does not say that partition leaders moved")


def body(ctx: e.Context) -> None:
    if os.environ.get("LOGAGENT_SKIP_KAFKA_CLUSTER") == "1":
        e.log("SKIP kafka_cluster: LOGAGENT_SKIP_KAFKA_CLUSTER=1")
        return
    cases = os.environ.get("LOGAGENT_KAFKA_CLUSTER_CASES", "abc")
    cluster = Cluster(ctx)
    try:
        cluster.start()
        for key in cases:
            t0 = time.monotonic()
            run_case(ctx, cluster, key)
            e.log(f"  case {key} done in {time.monotonic() - t0:.1f} s")
    finally:
        cluster.stop()


if __name__ == "__main__":
    e.main("kafka_cluster", body)
