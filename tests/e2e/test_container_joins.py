#!/usr/bin/env python3
"""CRI partial lines and Docker json-file split records joined across batches, through a kill -9.

Two pipelines (cri: a CRI file of containerd lines; docker: a json-file log) with the smallest
chunk_size (4 KiB), so a read -- a batch -- holds a few lines and most long lines straddle reads.
Each long line is split as the runtimes do (CRI: P lines ended by an F line; Docker: records whose
`log` lacks the final "\\n", ended by one that has it), stdout and stderr interleaved, and the files
are written in pieces while the agent runs: a piece often ends in the middle of a line.

Run 1 reads half the lines; then the first pieces of one more long line per file are written, the
agent is given time to read them (carried, not delivered, the checkpoint held before them), and
it is killed with SIGKILL. The rest is written, run 2 reads everything, and stops with SIGTERM.
Over both runs' outputs: every line comes out whole at least once (duplicates allowed: at least
once), no event is a fragment (none flagged _partial, none that is not a whole line).

Then a file that ends in the middle of a line and is deleted (a pod deleted): what it held comes
out flagged `_partial: true`, nothing lost."""

import json
import os
import random
import time

import e2e_lib as e

PIECE = 700  # bytes of a piece of a long line (the runtimes use 16 KiB; reads here are 4 KiB)


def line_text(kind: str, stream: str, i: int, rng: random.Random) -> str:
    size = rng.choice([20, 300, 1500, 3000, 6000, 9000])
    body = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(size))
    return f"<{kind}-{stream}-{i:04d}>{body}</{kind}-{stream}-{i:04d}>"


def pieces(text: str) -> list[str]:
    return [text[k:k + PIECE] for k in range(0, len(text), PIECE)] or [""]


def cri_lines(text: str, stream: str, n: int) -> list[bytes]:
    ts = f"2024-05-01T00:00:{n % 60:02d}.000000001Z"
    parts = pieces(text)
    return [f"{ts} {stream} {'F' if k == len(parts) - 1 else 'P'} {p}".encode()
            for k, p in enumerate(parts)]


def docker_lines(text: str, stream: str, n: int) -> list[bytes]:
    ts = f"2024-05-01T00:00:{n % 60:02d}.000000001Z"
    parts = pieces(text)
    return [json.dumps({"log": p + ("\n" if k == len(parts) - 1 else ""), "stream": stream,
                        "time": ts}).encode() for k, p in enumerate(parts)]


def is_piece(line: bytes) -> bool:
    """A piece that a later one continues (CRI: tag P; Docker: `log` without the final \\n)."""
    if line.startswith(b"{"):
        return not json.loads(line)["log"].endswith("\n")
    return line.split(b" ", 3)[2] == b"P"


class Source:
    """The lines of one file, interleaving two streams, written in pieces on demand."""

    def __init__(self, path: str, kind: str, make, rng: random.Random, count: int):
        self.path, self.kind = path, kind
        self.expected: dict[str, str] = {}
        self.lines: list[bytes] = []
        queues = {"stdout": [], "stderr": []}
        for i in range(count):
            stream = "stderr" if i % 3 == 0 else "stdout"
            text = line_text(kind, stream, i, rng)
            self.expected[f"{kind}-{stream}-{i:04d}"] = text
            queues[stream].append(make(text, stream, i))
        # Interleave the streams piece by piece: lines of one stream stay in order.
        while queues["stdout"] or queues["stderr"]:
            s = rng.choice([k for k, q in queues.items() if q])
            self.lines.append(queues[s][0].pop(0))
            if not queues[s][0]:
                queues[s].pop(0)
        self.written = 0

    def write(self, n: int) -> None:
        with open(self.path, "ab") as f:
            for line in self.lines[self.written:self.written + n]:
                f.write(line + b"\n")
        self.written = min(len(self.lines), self.written + n)


def config(ctx: e.Context, logs: str, run: int) -> str:
    pipelines = []
    for kind in ("cri", "docker"):
        pipelines.append({
            "name": kind, "workers": 2,
            "input": {"type": "tail", "paths": [os.path.join(logs, kind, "*.log")],
                      "read_from": "head", "scan_interval": "200ms"},
            "stages": [{"type": kind}],
            "sinks": [e.file_sink(ctx.path("out", f"{kind}-run{run}.ndjson"), "json")],
        })
    cfg = {"data_dir": ctx.path("data"), "metrics": {"listen": ""},
           "memory": {"buffer_pool": "1MiB", "chunk_size": "4KiB"},
           "checkpoint_interval": "200ms", "shutdown_timeout": "10s", "pipelines": pipelines}
    return e.write_config(ctx.path(f"config{run}.yaml"), cfg)


def events(ctx: e.Context, kind: str) -> list[dict]:
    out = []
    for run in (1, 2):
        lines, _torn = e.read_raw_output(ctx.path("out", f"{kind}-run{run}.ndjson"))
        out += [e.parse_json_line(line, f"{kind} run{run}") for line in lines]
    return out


def check_whole(ctx: e.Context, src: Source) -> None:
    seen: dict[str, int] = {}
    for ev in events(ctx, src.kind):
        msg = ev["message"]
        e.check("_partial" not in ev, f"{src.kind}: a fragment flagged _partial: {msg[:80]!r}")
        key = msg[1:msg.find(">")] if msg.startswith("<") else ""
        e.check(src.expected.get(key) == msg,
                f"{src.kind}: not a whole line ({len(msg)} bytes): {msg[:60]!r}...{msg[-30:]!r}")
        seen[key] = seen.get(key, 0) + 1
    missing = [k for k in src.expected if k not in seen]
    e.check(not missing, f"{src.kind}: {len(missing)} lines never delivered, e.g. {missing[:3]}")
    dups = sum(n - 1 for n in seen.values())
    e.log(f"{src.kind}: {len(src.expected)} lines whole, {dups} delivered again after the kill")


def delivered(ctx: e.Context, kind: str, run: int) -> int:
    lines, _ = e.read_raw_output(ctx.path("out", f"{kind}-run{run}.ndjson"))
    return len(lines)


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    ctx.mkdir("out")
    rng = random.Random(16)
    sources = [Source(os.path.join(ctx.mkdir("logs", "cri"), "0.log"), "cri", cri_lines, rng, 120),
               Source(os.path.join(ctx.mkdir("logs", "docker"), "c-json.log"), "docker",
                      docker_lines, rng, 120)]

    agent = ctx.agent(config(ctx, logs, 1), label="run1").start()
    for _ in range(40):  # half of the lines, in pieces of 1..7 lines while the agent reads
        for s in sources:
            s.write(rng.randrange(1, 8))
        time.sleep(0.02)
    for s in sources:  # up to the first piece of a long line: the file ends in the line
        while s.written < len(s.lines) and not is_piece(s.lines[s.written]):
            s.write(1)
        s.write(1)
    e.wait_for(lambda: delivered(ctx, "cri", 1) > 10 and delivered(ctx, "docker", 1) > 10, 20,
               "run 1 delivers lines", agent=agent)
    time.sleep(1.0)  # the open line is read and carried; a checkpoint is written meanwhile
    agent.kill9()
    e.log(f"[run1] killed: cri {delivered(ctx, 'cri', 1)}, docker {delivered(ctx, 'docker', 1)} "
          "events delivered")

    agent = ctx.agent(config(ctx, logs, 2), label="run2").start()
    while any(s.written < len(s.lines) for s in sources):
        for s in sources:
            s.write(rng.randrange(1, 8))
        time.sleep(0.02)

    def all_whole() -> bool:
        for s in sources:
            got = {ev["message"] for ev in events(ctx, s.kind)}
            if not set(s.expected.values()) <= got:
                return False
        return True

    e.wait_for(all_whole, 60, "every line delivered whole", agent=agent)
    e.check(agent.stop() == 0, "run 2 exits 0 on SIGTERM")
    for s in sources:
        check_whole(ctx, s)

    # A pod deleted while its file ends in the middle of a line: emitted flagged _partial.
    gone = os.path.join(logs, "cri", "1.log")
    with open(gone, "wb") as f:
        f.write(b"2024-05-01T00:00:00.1Z stdout F whole\n")
        f.write(b"2024-05-01T00:00:00.2Z stdout P unfinished-\n")
        f.write(b"2024-05-01T00:00:00.3Z stdout P line\n")
    agent = ctx.agent(config(ctx, logs, 3), label="run3").start()
    out3 = ctx.path("out", "cri-run3.ndjson")

    def messages3() -> list[dict]:
        lines, _ = e.read_raw_output(out3)
        return [e.parse_json_line(line, "cri run3") for line in lines]

    e.wait_for(lambda: any(ev["message"] == "whole" for ev in messages3()), 20,
               "run 3 reads the new file", agent=agent)
    time.sleep(0.5)
    os.unlink(gone)
    e.wait_for(lambda: any(ev["message"] == "unfinished-line" for ev in messages3()), 20,
               "the deleted file's open line is emitted", agent=agent)
    last = [ev for ev in messages3() if ev["message"] == "unfinished-line"]
    e.check(len(last) == 1 and last[0].get("_partial") is True,
            f"the deleted file's open line comes out once, flagged _partial: {last}")
    e.check(not any(ev["message"] in ("unfinished-", "line") for ev in messages3()),
            "the deleted file's open line is not split")
    e.check(agent.stop() == 0, "run 3 exits 0 on SIGTERM")


if __name__ == "__main__":
    e.main("container_joins", body)
