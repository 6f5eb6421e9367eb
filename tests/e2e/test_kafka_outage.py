#!/usr/bin/env python3
"""Kafka outage: the broker is stopped for ~20 s in the middle of a stream, then started again on
the same port with the same data dir.

Four files are appended to at a steady rate the whole time. While the broker is down the agent
keeps running, reports the broker down in its metrics (logagent_kafka_broker_up 0, and
logagent_pipeline_ready 0 with /ready 503; ready 1 with /ready 200 once the broker is back), and
stops reading once its buffer pool and producer queue are full (the files are the buffer). After
the broker returns, every line written arrives in the topic, each file's lines in order, and the
agent's peak RSS stayed within the pool budget plus the producer queue plus a fixed overhead.
"""

import os
import threading
import time

import e2e_lib as e
from test_kafka_delivery import KafkaBroker

STREAMS = ["a", "b", "c", "d"]
LINES_PER_TICK = 60   # per stream, every TICK seconds: ~12k lines/s in total
TICK = 0.02
POOL_MIB = 16
QUEUE_MIB = 8
OVERHEAD_MIB = 96      # binary, libraries, librdkafka threads and buffers, metrics, allocator slack


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Load:
    """Appends id lines to every stream until stopped; samples the agent's RSS meanwhile."""

    def __init__(self, logs: str):
        self.writers = [e.StreamWriter(logs, s, pad_range=(40, 160), seed=i)
                        for i, s in enumerate(STREAMS)]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            for w in self.writers:
                w.write(LINES_PER_TICK)
            time.sleep(TICK)

    def written(self) -> dict[str, int]:
        return {w.stream: w.seq for w in self.writers}


def metric(port: int, name: str, **labels) -> float | None:
    m = e.try_scrape(port)
    return m.get(name, **labels) if m else None


def wait_ready(port: int, agent: e.Agent, want: int, what: str) -> None:
    """logagent_pipeline_ready{pipeline="app"} reaches `want`, and /ready says the same."""
    waited = e.wait_for(
        lambda: metric(port, "logagent_pipeline_ready", pipeline="app") == want, timeout=60,
        what=f"logagent_pipeline_ready {want} {what}", agent=agent)
    status, text = e.http(port, "/ready")
    e.log(f"logagent_pipeline_ready={want} {what} after {waited:.1f} s; /ready {status}: "
          f"{text.strip()}")
    e.check(status == (200 if want else 503),
            f"/ready answers {status} while logagent_pipeline_ready is {want}: {text.strip()}")


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    broker = KafkaBroker(ctx, keep_dir=True)
    mport = e.free_port()
    try:
        broker.start()
        snk = {"type": "kafka", "brokers": [broker.bootstrap], "topic": "outage", "format": "raw",
               "queue_bytes": f"{QUEUE_MIB}MiB"}
        cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=[snk], workers=2,
                            metrics_port=mport, buffer_pool=f"{POOL_MIB}MiB")
        load = Load(logs)
        for w in load.writers:
            w.write(1)  # the files exist before the agent starts
        agent = ctx.agent(cfg).start()
        load.thread.start()
        peak = 0

        def sample(seconds: float) -> None:
            nonlocal peak
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                e.check(agent.running(), f"agent exited with {agent.returncode}")
                peak = max(peak, rss_bytes(agent.pid))
                time.sleep(0.2)

        sample(5)
        e.log(f"before the outage: {sum(load.written().values())} lines written, "
              f"rss {peak / 2**20:.0f} MiB")
        broker.stop(keep=True)
        t_down = time.monotonic()
        sample(6)
        up = metric(mport, "logagent_kafka_broker_up")
        e.log(f"broker stopped; logagent_kafka_broker_up={up}")
        e.check(up == 0, f"logagent_kafka_broker_up is {up} while the broker is down")
        wait_ready(mport, agent, 0, "while the broker is down")
        sample(max(0.0, 20 - (time.monotonic() - t_down)))
        behind = metric(mport, "logagent_input_bytes_behind")
        e.log(f"after {time.monotonic() - t_down:.0f} s down: {sum(load.written().values())} lines "
              f"written, {behind} bytes behind, peak rss {peak / 2**20:.0f} MiB")
        broker.start()
        sample(5)
        wait_ready(mport, agent, 1, "once the broker is back")
        load.stop.set()
        load.thread.join()
        written = load.written()
        total = sum(written.values())
        waited = e.wait_for(
            lambda: (metric(mport, "logagent_sink_events_total", result="ok") or 0) >= total,
            timeout=90, what=f"{total} lines acknowledged by the kafka sink", agent=agent)
        e.log(f"all {total} lines acknowledged {waited:.1f} s after the writer stopped")
        peak = max(peak, rss_bytes(agent.pid))
        errors = metric(mport, "logagent_sink_events_total", result="error")
        dead = metric(mport, "logagent_sink_events_dead_lettered_total")
        retries = metric(mport, "logagent_kafka_retries_total")
        agent.stop(timeout=30)
        e.log(f"sink errors={errors} dead_lettered={dead} kafka retries={retries}")

        out = broker.consume("outage", "%s\n", expect_messages=None)
        messages = out.split(b"\n")[:-1]
        rep = e.compare_by_id(written, [messages], allow_duplicates=True)
        rep.print("outage")
        rep.assert_ok("outage", allow_duplicates=True)
        limit = (POOL_MIB + QUEUE_MIB + OVERHEAD_MIB) * 2**20
        e.log(f"peak rss {peak / 2**20:.0f} MiB (limit {limit / 2**20:.0f} MiB = pool "
              f"{POOL_MIB} + queue {QUEUE_MIB} + overhead {OVERHEAD_MIB})")
        # Under AddressSanitizer (LOGAGENT_SANITIZED=1) RSS is shadow memory: report, don't enforce.
        if os.environ.get("LOGAGENT_SANITIZED") != "1":
            e.check(peak <= limit,
                    f"peak RSS {peak / 2**20:.0f} MiB above {limit / 2**20:.0f} MiB")
        e.check(not dead, f"{dead} events dead-lettered during an outage")
    finally:
        broker.stop()


if __name__ == "__main__":
    e.main("kafka_outage", body)
