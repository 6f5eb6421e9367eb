#!/usr/bin/env python3
"""kill -9 while the agent is streaming, rotations while it is down, restart: every line must be
delivered (duplicates are allowed -- at least once -- and counted), none missing.

Two crash cycles. While the agent is down, a.log is renamed to a.log.<n> with unread data in it
and a new a.log is written. The glob is "*.log*" so that the renamed file is still matched after
the restart: the agent must recognise it by identity (device, inode, fingerprint), resume at its
checkpointed offset and read it to the end. Stream b is never rotated; stream c is created while
the agent is down. Each run writes to its own output file; a line torn by the kill at the end of
an output is ignored (it was not acknowledged, so it is resent)."""

import os
import time

import e2e_lib as e


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    writers = {s: e.StreamWriter(logs, s, seed=i + 1) for i, s in enumerate("ab")}
    for w in writers.values():
        w.write(2000)
    outputs = []
    ckpt = ctx.path("data", "app.checkpoint")

    def config(run: int) -> str:
        out = ctx.path("out", f"run{run}.ndjson")
        outputs.append(out)
        return e.make_config(ctx, paths=[os.path.join(logs, "*.log*")], workers=2,
                             sinks=[e.file_sink(out, "json")],
                             input_extra={"scan_interval": "200ms"},
                             file_name=f"config{run}.yaml")

    def delivered_count(out: str) -> int:
        try:
            with open(out, "rb") as f:
                return f.read().count(b"\n")
        except FileNotFoundError:
            return 0

    def write_all() -> None:
        for w in list(writers.values()):
            w.write(25)

    bg = e.Background(write_all, 0.005).start()  # every stream, every 5 ms, until stopped
    rotation = 0
    for run in (1, 2):
        agent = ctx.agent(config(run), label=f"run{run}").start()
        out = outputs[-1]
        e.wait_for(lambda: delivered_count(out) > 5000, 20, f"run{run} delivers lines",
                   agent=agent)
        if run == 1:
            # A checkpoint must exist so the restart resumes instead of starting over.
            e.wait_for(lambda: os.path.exists(ckpt), 10, f"checkpoint file {ckpt}", agent=agent)
        time.sleep(1.5)  # streaming, with a rename rotation of a while running
        rotation += 1
        writers["a"].rotate_rename_to(os.path.join(logs, f"a.log.{rotation}"))
        time.sleep(0.5)
        agent.kill9()
        e.log(f"[run{run}] killed with SIGKILL after {delivered_count(out)} lines delivered; "
              f"written so far {sum(w.seq for w in writers.values())}")
        # Down: more data in a.log, then rename it away with its data unread, new a.log.
        time.sleep(0.5)
        rotation += 1
        writers["a"].rotate_rename_to(os.path.join(logs, f"a.log.{rotation}"))
        writers["a"].write(3000)
        if run == 1:
            writers["c"] = e.StreamWriter(logs, "c", seed=7)
            writers["c"].write(1000)
        time.sleep(0.5)

    # Final run: streaming a bit more, then stop writing and let it catch up.
    agent = ctx.agent(config(3), label="run3").start()
    time.sleep(2.0)
    bg.stop()
    written = {s: w.seq for s, w in writers.items()}
    e.log(f"wrote {sum(written.values())} lines {written}; {rotation} renames of a.log")

    def all_delivered() -> bool:
        msgs = []
        for out in outputs:
            msgs += [ev["message"].encode() for ev in e.read_json_output(out, True, quiet=True)]
        ids = e.delivered_ids(msgs)
        return all(len(ids.get(s, ())) >= n for s, n in written.items())

    try:
        e.wait_for(all_delivered, 30, "every line delivered across the three runs",
                   interval=0.5, agent=agent)
    except e.TestFailure as err:
        e.log(f"warning: {err}")
    agent.stop(timeout=20)

    runs = []
    for out in outputs:
        runs.append([ev["message"].encode() for ev in e.read_json_output(out, True)])
        e.log(f"{os.path.basename(out)}: {len(runs[-1])} lines")
    rep = e.compare_by_id(written, runs, allow_duplicates=True)
    rep.print("kill9 restart")
    rep.assert_ok("kill -9 and restart", allow_duplicates=True)


if __name__ == "__main__":
    e.main("kill9_restart", body)
