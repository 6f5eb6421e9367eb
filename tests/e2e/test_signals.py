#!/usr/bin/env python3
"""Signals. (1) SIGTERM while a large backlog is being read (live mode, file sink): exit 0
within shutdown_timeout + slack, a checkpoint file exists; a --once restart delivers the rest:
nothing missing (duplicates allowed, counted). (2) SIGTERM to --once in the middle of its
backlog: the same. (3) SIGINT to an idle live agent: exit 0 promptly."""

import os
import random
import signal
import time

import e2e_lib as e

SHUTDOWN_TIMEOUT = 5  # seconds, configured
SLACK = 5
FILES = 8
LINES_PER_FILE = 400_000  # ~100 bytes a line: ~320 MB in all


def generate(logs: str, tag: str, seed: int) -> dict[str, int]:
    """Files of raw lines "<tag>fNN seq=NNNNNNN <padding>"; returns file tag -> line count."""
    rng = random.Random(seed)
    pads = [("p" * rng.randint(40, 110)).encode() for _ in range(997)]
    counts = {}
    for f in range(FILES):
        name = f"{tag}f{f:02d}"
        with open(os.path.join(logs, f"{name}.log"), "wb") as out:
            prefix = name.encode() + b" seq="
            buf = bytearray()
            for i in range(LINES_PER_FILE):
                buf += prefix + b"%07d " % i + pads[i % 997] + b"\n"
                if len(buf) > 4 << 20:
                    out.write(buf)
                    buf.clear()
            out.write(buf)
        counts[name] = LINES_PER_FILE
    return counts


def check_complete(label: str, counts: dict[str, int], outputs: list[str]) -> None:
    """Every "<name> seq=N" of every file delivered at least once, in order per run."""
    written = sum(counts.values())
    seen = {name: bytearray(n) for name, n in counts.items()}
    delivered = dups = disorder = bad = 0
    for out in outputs:
        lines, tail = e.read_raw_output(out)
        e.check(tail == b"", f"{label}: {out} ends with a partial line {tail[:60]!r}")
        last = {}
        for line in lines:
            delivered += 1
            name, _, rest = line.partition(b" seq=")
            name = name.decode(errors="replace")
            try:
                seq = int(rest[:7])
            except ValueError:
                seq = -1
            if name not in seen or not 0 <= seq < counts[name]:
                bad += 1
                continue
            if seen[name][seq]:
                dups += 1
            seen[name][seq] = 1
            if last.get(name, -1) >= seq:
                disorder += 1
            last[name] = seq
    missing = sum(len(s) - sum(s) for s in seen.values())
    e.log(f"[{label}] written={written} delivered={delivered} missing={missing} "
          f"duplicates={dups} out_of_order={disorder} wrong={bad}")
    first_missing = [f"{n} seq={s.index(0)}" for n, s in seen.items() if 0 in s][:5]
    e.check(missing == 0, f"{label}: {missing} line(s) missing, first: {first_missing}")
    e.check(disorder == 0, f"{label}: {disorder} line(s) out of order within a run")
    e.check(bad == 0, f"{label}: {bad} unexpected line(s)")


def config(ctx: e.Context, logs: str, out: str, data: str, name: str) -> str:
    return e.make_config(ctx, paths=[os.path.join(logs, "*.log")], workers=2,
                         sinks=[e.file_sink(out, "raw")], data_dir=data,
                         top_extra={"shutdown_timeout": f"{SHUTDOWN_TIMEOUT}s"}, file_name=name)


def interrupted_then_resumed(ctx: e.Context, label: str, once_first: bool, seed: int) -> None:
    logs = ctx.mkdir(f"logs-{label}")
    data = ctx.path(f"data-{label}")
    counts = generate(logs, label[0], seed)
    total = sum(counts.values())
    size = sum(os.path.getsize(os.path.join(logs, f)) for f in os.listdir(logs))
    e.log(f"[{label}] backlog: {total} lines, {size / 2**20:.0f} MiB in {FILES} files")
    out1 = ctx.path("out", f"{label}-1.raw")
    out2 = ctx.path("out", f"{label}-2.raw")

    agent = ctx.agent(config(ctx, logs, out1, data, f"{label}-1.yaml"), once=once_first,
                      label=f"{label}-1").start()

    def started() -> bool:
        try:
            return os.path.getsize(out1) > 0
        except FileNotFoundError:
            return False

    e.wait_for(started, 20, f"{label}: first output", interval=0.002, agent=agent)
    agent.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    rc = agent.wait(SHUTDOWN_TIMEOUT + SLACK)
    took = time.monotonic() - t0
    e.check(rc is not None, f"{label}: still running {SHUTDOWN_TIMEOUT + SLACK} s after SIGTERM "
            f"(shutdown_timeout {SHUTDOWN_TIMEOUT}s)")
    e.log(f"[{label}] exit {rc} {took:.2f} s after SIGTERM")
    e.check(rc == 0, f"{label}: exit code {rc} after SIGTERM, want 0")
    first, tail = e.read_raw_output(out1)
    e.check(tail == b"", f"{label}: output ends with a partial line after a clean SIGTERM")
    ckpt = os.path.join(data, "app.checkpoint")
    e.check(os.path.exists(ckpt), f"{label}: no checkpoint {ckpt} after SIGTERM")
    e.log(f"[{label}] delivered before SIGTERM took effect: {len(first)} of {total} lines")
    if len(first) >= total:
        e.log(f"warning: {label}: the backlog was finished before SIGTERM; the restart has "
              "nothing to do (a faster agent needs a bigger backlog)")

    rest = ctx.run_once(config(ctx, logs, out2, data, f"{label}-2.yaml"), timeout=60,
                        label=f"{label}-2")
    s = rest.summary()
    e.log(f"[{label}] restart --once summary: {s}")
    e.check(s["failed"] == 0 and s["acked"] == s["lines"], f"{label}: restart summary {s}")
    check_complete(label, counts, [out1, out2])
    for name in os.listdir(logs):
        os.unlink(os.path.join(logs, name))
    for out in (out1, out2):
        os.unlink(out)


def sigint_idle(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs-idle")
    e.write_lines(os.path.join(logs, "x.log"), [b"one", b"two", b"three"])
    out = ctx.path("out", "idle.raw")
    port = e.free_port()
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], metrics_port=port,
                        sinks=[e.file_sink(out, "raw")], data_dir=ctx.path("data-idle"),
                        file_name="idle.yaml")
    agent = ctx.agent(cfg, label="idle").start()
    e.wait_for(lambda: e.read_raw_output(out)[0] == [b"one", b"two", b"three"], 10,
               "idle: the 3 lines delivered", agent=agent)
    agent.stop(timeout=SHUTDOWN_TIMEOUT + SLACK, sig=signal.SIGINT)
    e.check(os.path.exists(ctx.path("data-idle", "app.checkpoint")), "idle: no checkpoint")


def body(ctx: e.Context) -> None:
    interrupted_then_resumed(ctx, "live", once_first=False, seed=1)
    interrupted_then_resumed(ctx, "once", once_first=True, seed=2)
    sigint_idle(ctx)


if __name__ == "__main__":
    e.main("signals", body)
