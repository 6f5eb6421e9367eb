#!/usr/bin/env python3
"""Issue 12 case 1: sink backpressure + rotation. The broker is stopped for ~15 s while an app
writes steadily and rotates by rename (logrotate style) every 4,000 lines into names outside the
glob (`paths: [".../*.log"]`, rotated to `app.log.1`, `app.log.2`, ...). The buffer pool and the
producer queue are far smaller than what is written meanwhile, so the reader is blocked by
backpressure through every rotation of the outage. Discovery runs apart from reading: each new
generation is opened (pinned) when it appears and followed through its renames, so when the
broker returns every line arrives -- missing must be 0 (the generations are all still on disk:
nothing is overwritten), each generation in order, nothing counted lost. Prints written /
delivered / missing / duplicates."""

from __future__ import annotations

import os
import threading
import time

import e2e_lib as e
from test_kafka_delivery import KafkaBroker

ROTATE_EVERY = 4000
LINES_PER_TICK = 40
TICK = 0.01  # ~4,000 lines/s: a rotation every second or so


def metric(port: int, name: str, **labels: str) -> float:
    m = e.try_scrape(port)
    return (m.get(name, **labels) or 0) if m is not None else 0


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    broker = KafkaBroker(ctx, keep_dir=True)
    port = e.free_port()
    try:
        broker.start()
        snk = {"type": "kafka", "brokers": [broker.bootstrap], "topic": "rotation-outage",
               "format": "raw", "queue_bytes": "1MiB"}
        cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=[snk], workers=1,
                            metrics_port=port, buffer_pool="2MiB", chunk_size="256KiB",
                            input_extra={"scan_interval": "1s"})
        w = e.StreamWriter(logs, "app", pad_range=(60, 140))
        w.write(1)
        agent = ctx.agent(cfg).start()
        e.wait_for(lambda: metric(port, "logagent_kafka_broker_up") == 1, 60,
                   "the agent connects to the broker", agent=agent)
        stop = threading.Event()
        rotations = [0]

        def load() -> None:
            since = 0
            while not stop.is_set():
                w.write(LINES_PER_TICK)
                since += LINES_PER_TICK
                if since >= ROTATE_EVERY:
                    w.rotate_rename(keep=1000)  # nothing is ever overwritten: all stays on disk
                    rotations[0] += 1
                    since = 0
                time.sleep(TICK)

        t = threading.Thread(target=load, daemon=True)
        t.start()
        time.sleep(3)
        broker.stop(keep=True)
        down_at = w.seq
        rot_at = rotations[0]
        # Until the reader is held by backpressure and several generations came and went.
        e.wait_for(lambda: rotations[0] - rot_at >= 10, 120,
                   "10 rotations while the broker is down", agent=agent)
        written_now, read = w.seq, metric(port, "logagent_input_lines_total")
        e.log(f"broker down for {written_now - down_at} lines and {rotations[0] - rot_at} "
              f"rotations; the reader is {written_now - read:.0f} lines behind")
        e.check(written_now - read > 2 * ROTATE_EVERY,
                f"the reader was not held back ({written_now - read:.0f} lines behind)")
        broker.start()
        time.sleep(2)
        stop.set()
        t.join()
        total = w.seq
        e.wait_for(lambda: metric(port, "logagent_sink_events_total", result="ok") >= total, 120,
                   f"{total} lines acknowledged", agent=agent)
        lost = sum(v for (n, _, v) in e.scrape(port).samples
                   if n == "logagent_input_files_lost_total")
        e.wait_pool_returned(port, "rotation_outage", agent=agent)
        agent.stop(timeout=30)
        out = broker.consume("rotation-outage", "%s\n", expect_messages=None)
        messages = out.split(b"\n")[:-1]
        rep = e.compare_by_id({"app": total}, [messages], allow_duplicates=True)
        rep.print(f"rotation_outage ({rotations[0]} rotations, files lost {lost:.0f})")
        rep.assert_ok("rotation_outage", allow_duplicates=True)
        e.check(lost == 0, f"{lost} files counted lost, though every generation is on disk")
    finally:
        broker.stop()


if __name__ == "__main__":
    e.main("kafka_rotation_outage", body)
