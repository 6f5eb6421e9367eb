#!/usr/bin/env python3
"""read_from: tail, kill -9 before the first acknowledgement, then a restart: every line written
after the first start is delivered, none from before it.

The first agent's sink is Kafka with no broker behind it (nothing is ever acknowledged) and its
checkpoint_interval is an hour (no periodic write comes first): only the start point written
before reading can tell the restart where the first start began. Lines are appended until the
first agent has read one; it is killed (-9); more lines are written while it is down; the restart
(a file sink) must resume where the first start began rather than at the end again."""

import json
import os
import time

import e2e_lib as e


def metric(port: int, name: str, **labels: str) -> float:
    m = e.try_scrape(port)
    v = m.get(name, **labels) if m else None
    return v or 0.0


def append(path: str, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def messages(out: str) -> list[str]:
    try:
        with open(out, encoding="utf-8") as f:
            return [json.loads(line)["message"] for line in f if line.endswith("\n")]
    except FileNotFoundError:
        return []


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    path = os.path.join(logs, "a.log")
    before = [f"old{i}" for i in range(100)]
    append(path, before)
    port = e.free_port()
    never_acks = {"type": "kafka", "brokers": [f"127.0.0.1:{e.free_port()}"], "topic": "nowhere",
                  "format": "json"}
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=[never_acks],
                        metrics_port=port, input_extra={"read_from": "tail"},
                        top_extra={"checkpoint_interval": "1h"}, file_name="first.yaml")
    agent = ctx.agent(cfg, label="first").start()
    written: list[str] = []
    # Lines keep coming until the agent has read one: it had found the end before the last of them.
    while metric(port, "logagent_input_lines_total", pipeline="app") == 0:
        e.check(len(written) < 20 * 300, "no line written after the start was read")
        e.check(agent.running(), "the first agent exited")
        more = [f"new{len(written) + i}" for i in range(20)]
        append(path, more)
        written += more
        time.sleep(0.2)
    seen_by = len(written)  # the first start is before line seen_by - 1
    acked = metric(port, "logagent_sink_events_total", pipeline="app", result="ok")
    e.check(acked == 0, f"{acked} events acknowledged by a sink with no broker")
    agent.kill9()
    down = [f"new{len(written) + i}" for i in range(50)]
    append(path, down)
    written += down
    out = ctx.path("out.ndjson")
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=[e.file_sink(out)],
                        input_extra={"read_from": "tail"}, file_name="second.yaml")
    agent = ctx.agent(cfg, label="second").start()
    after = [f"new{len(written)}"]  # the last line to wait for
    append(path, after)
    written += after
    e.wait_for(lambda: written[-1] in messages(out), 60,
               "the lines written since the first start (skipped if the restart began at the end "
               "again)", agent=agent)
    e.check(agent.stop() == 0, "the second agent did not exit 0 on SIGTERM")
    got = messages(out)
    e.check(bool(got) and got[0] in written[:seen_by],
            f"the restart began at {got[:1]}, not where the first start began (one of new0.."
            f"new{seen_by - 1}): the lines written since the first start were skipped")
    first = written.index(got[0])
    e.check(got == written[first:], f"{len(got)} lines delivered, expected "
            f"{len(written) - first} in order from {got[0]}")
    e.log(f"[tail-start] kill -9 before any ack, {len(down)} lines written while down: the restart "
          f"resumed at the first start ({got[0]}); {len(got)} lines, in order, none lost or twice")


if __name__ == "__main__":
    e.main("tail_start_kill9", body)
