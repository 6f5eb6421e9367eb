#!/usr/bin/env python3
"""Multiline joining in the tail input, through the real binary and a json file sink.

1. --once: Java, Python and Go stack traces interleaved with ordinary lines (one pipeline per
   mode, plus a `start` pattern and a small max_lines): every output event must be exactly the
   expected joined text at the expected offset, in order, nothing lost; events cut by max_lines
   are flagged truncated and their rest follows.
2. `logagent validate` reports a bad pattern at its FILE:LINE:COL.
3. Live: the last event of a file is held until flush_after, then emitted whole
   (logagent_multiline_flushes_total{reason="flush_after"}).
4. kill -9 while an event is held (flush_after 1h): its first lines were not delivered and not
   checkpointed; the rest is written while the agent is down; after the restart the event comes
   out whole. Nothing is lost and no event is ever split.
"""

import json
import os
import random
import subprocess
import time

import e2e_lib as e


# --------------------------------------------------------------------------------------------
# Sample generators: each returns a list of events, each event a list of lines.


def java_events(rng: random.Random, n: int, tag: str = "j") -> list[list[str]]:
    events = []
    for i in range(n):
        ts = f"2024-05-01 12:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}"
        kind = rng.randrange(6)
        if kind < 3:
            events.append([f"{ts} INFO  [main] c.e.App - {tag} event {i} ok"])
            continue
        ev = [f"{ts} ERROR [http-nio-8080-exec-{i % 9}] c.e.Controller - {tag} event {i} failed"]
        if kind == 5:  # printed by the JVM for an uncaught exception: a trace of its own
            ev = [f'Exception in thread "worker-{i}" java.lang.NullPointerException: '
                  f'Cannot invoke "String.length()" because "s" is null ({tag} {i})']
        else:
            ev.append(f"java.lang.IllegalStateException: Could not process order {i}")
        for f in range(rng.randrange(1, 30)):
            ev.append(f"\tat com.example.Service{f}.call(Service{f}.java:{f + 10})")
        if rng.random() < 0.6:
            ev.append("Caused by: java.sql.SQLException: Connection refused")
            ev.append("\tat org.postgresql.Driver.connect(Driver.java:285)")
            ev.append(f"\t... {rng.randrange(1, 40)} more")
        if rng.random() < 0.3:
            ev.append("Caused by: java.net.ConnectException: Connection refused")
            ev.append("\tat java.base/sun.nio.ch.Net.connect0(Native Method)")
            ev.append(f"\t... {rng.randrange(1, 40)} common frames omitted")
        events.append(ev)
    return events


def python_events(rng: random.Random, n: int) -> list[list[str]]:
    def traceback(i: int) -> list[str]:
        lines = ["Traceback (most recent call last):"]
        for f in range(rng.randrange(1, 8)):
            lines.append(f'  File "/srv/app/mod{f}.py", line {f + 3}, in handler{f}')
            lines.append(f"    result = step{f}(order_{i})")
            if rng.random() < 0.3:
                lines.append("             ^^^^^^^^^^^^^^^^")
        lines.append(rng.choice([f"KeyError: 'order_{i}'", f"ValueError: bad value {i}",
                                 f"app.errors.NotFound: order {i}", "KeyboardInterrupt"]))
        return lines

    events = []
    for i in range(n):
        head = f"2024-05-01 12:00:{i % 60:02d},{i % 1000:03d} "
        kind = rng.randrange(5)
        if kind < 3:
            events.append([head + f"INFO app: py event {i}"])
            continue
        ev = [head + f"ERROR app: py event {i} failed"] + traceback(i)
        if kind == 4:  # a chained exception
            ev += ["", rng.choice(["During handling of the above exception, another exception "
                                   "occurred:",
                                   "The above exception was the direct cause of the following "
                                   "exception:"]), ""] + traceback(i)
        events.append(ev)
    return events


def go_events(rng: random.Random, n: int) -> list[list[str]]:
    events = []
    for i in range(n):
        head = f"2024/05/01 12:00:{i % 60:02d} "
        if rng.randrange(4) != 0:
            events.append([head + f"go event {i} served"])
            continue
        ev = [rng.choice([f"panic: runtime error: index out of range [{i}] with length 3",
                          f"panic: go event {i}: invalid memory address or nil pointer "
                          f"dereference",
                          "fatal error: all goroutines are asleep - deadlock!"])]
        if ev[0].startswith("panic: go"):
            ev.append("[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6a1b2c]")
        for g in range(rng.randrange(1, 4)):
            ev += ["", f"goroutine {g + 1} [{rng.choice(['running', 'chan receive', 'IO wait'])}]:"]
            for f in range(rng.randrange(1, 6)):
                ev.append(f"main.(*Server{f}).handle(0x0, {{0x7f1e2c, 0xc0001a2000}}, 0x{i:x})")
                ev.append(f"\t/src/server{f}.go:{f + 40} +0x2c")
            if g > 0:
                ev.append("created by net/http.(*Server).Serve in goroutine 1")
                ev.append("\t/usr/local/go/src/net/http/server.go:3086 +0x4cc")
        if rng.random() < 0.5:
            ev.append("exit status 2")
        events.append(ev)
    return events


def start_events(rng: random.Random, n: int) -> list[list[str]]:
    """For `start: '^\\d{4}-\\d\\d-\\d\\d '`: a multi-line SQL statement, a YAML dump..."""
    events = [["(no timestamp: the end of an event written before this file started)"]]
    for i in range(n):
        ev = [f"2024-05-01 12:00:{i % 60:02d} event {i}"]
        ev += [f"  detail {k} of {i}" for k in range(rng.randrange(0, 12))]
        events.append(ev)
    return events


def write_events(path: str, events: list[list[str]], mode: str = "w") -> list[tuple[int, str]]:
    """Writes the events and returns [(offset, joined text)]."""
    out = []
    with open(path, mode, encoding="ascii") as f:
        offset = f.tell()
        for ev in events:
            text = "\n".join(ev)
            out.append((offset, text))
            f.write(text + "\n")
            offset += len(text) + 1
    return out


def cut(expected: list[tuple[int, str]], max_lines: int) -> list[tuple[int, str, bool]]:
    """What max_lines makes of the events: pieces of at most max_lines lines, all but the
    last piece flagged truncated."""
    out = []
    for offset, text in expected:
        lines = text.split("\n")
        for k in range(0, len(lines), max_lines):
            piece = "\n".join(lines[k:k + max_lines])
            out.append((offset, piece, k + max_lines < len(lines)))
            offset += len(piece) + 1
    return out


# --------------------------------------------------------------------------------------------


def pipeline(name: str, path: str, out: str, multiline: dict) -> dict:
    return {"name": name, "workers": 2,
            "input": {"type": "tail", "paths": [path], "read_from": "head",
                      "multiline": multiline},
            "sinks": [e.file_sink(out, "json")]}


def check_output(label: str, out: str, expected: list[tuple[int, str, bool]]) -> None:
    got = e.read_json_output(out)
    e.check(len(got) == len(expected),
            f"{label}: {len(got)} events delivered, {len(expected)} expected")
    for i, (ev, (offset, text, truncated)) in enumerate(zip(got, expected)):
        if ev["message"] != text or ev["offset"] != offset:
            raise e.TestFailure(
                f"{label}: event {i} differs:\n  expected offset {offset}: {text[:300]!r}\n"
                f"  got      offset {ev['offset']}: {ev['message'][:300]!r}")
        e.check(bool(ev.get("truncated")) == truncated,
                f"{label}: event {i} truncated={ev.get('truncated')}, expected {truncated}")
    joined = sum(1 for _, t, _ in expected if "\n" in t)
    e.log(f"[{label}] {len(got)} events, {joined} of several lines, all as expected")


def once_modes(ctx: e.Context) -> None:
    rng = random.Random(4)
    logs = ctx.mkdir("logs")
    cases = {
        "java": (java_events(rng, 400), {"mode": "java"}),
        "python": (python_events(rng, 400), {"mode": "python"}),
        "go": (go_events(rng, 300), {"mode": "go"}),
        "start": (start_events(rng, 300), {"start": r"^\d{4}-\d\d-\d\d ", "flush_after": "2s"}),
        "cut": (java_events(rng, 200, "c"), {"mode": "java", "max_lines": 7}),
    }
    expected = {}
    pipelines = []
    for name, (events, ml) in cases.items():
        path = os.path.join(logs, f"{name}.log")
        written = write_events(path, events)
        max_lines = ml.get("max_lines", 10 ** 9)
        expected[name] = cut(written, max_lines)
        pipelines.append(pipeline(name, path, ctx.path("out", f"{name}.ndjson"), ml))
    cfg = e.write_config(ctx.path("once.yaml"), {
        "data_dir": ctx.path("data-once"), "metrics": {"listen": ""},
        "pipelines": pipelines})
    agent = ctx.run_once(cfg)
    for name in cases:
        check_output(name, ctx.path("out", f"{name}.ndjson"), expected[name])
    summary = agent.summary()
    total = sum(len(v) for v in expected.values())
    e.check(summary.get("lines") == total and summary.get("acked") == total,
            f"summary {summary}: expected {total} events read and acknowledged")


def validate_bad_pattern(ctx: e.Context) -> None:
    text = ("data_dir: ./data\n"
            "pipelines:\n"
            "  - name: app\n"
            "    input:\n"
            "      type: tail\n"
            "      paths: [\"x.log\"]\n"
            "      multiline:\n"
            "        start: '^(\\d{4}-'\n"
            "        max_lines: 50\n"
            "    sinks:\n"
            "      - type: \"null\"\n")
    path = ctx.path("bad.yaml")
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run([ctx.logagent, "validate", "-c", path], capture_output=True, text=True,
                       timeout=30)
    e.log(f"[validate] exit {p.returncode}: {p.stderr.strip()}")
    e.check(p.returncode != 0, "validate accepted a bad multiline pattern")
    want = f"{path}:8:16: pipelines[0].input.multiline.start"
    e.check(any(line.startswith(want) and "invalid start pattern: missing )" in line
                for line in p.stderr.splitlines()),
            f"no diagnostic starting with {want!r} about the pattern: {p.stderr!r}")


def live_flush_after(ctx: e.Context) -> None:
    logs = ctx.mkdir("live")
    path = os.path.join(logs, "app.log")
    events = java_events(random.Random(5), 150)
    events.append(["2024-05-01 13:00:00.000 ERROR [main] c.e.App - the last event",
                   "java.lang.IllegalStateException: held until flush_after",
                   "\tat com.example.App.main(App.java:1)"])
    written = write_events(path, events)
    port = e.free_port()
    out = ctx.path("out", "live.ndjson")
    cfg = e.make_config(ctx, paths=[path], sinks=[e.file_sink(out)], metrics_port=port,
                        data_dir=ctx.path("data-live"),
                        input_extra={"multiline": {"mode": "java", "flush_after": "300ms"}},
                        file_name="live.yaml")
    agent = ctx.agent(cfg, label="live").start()
    e.wait_for(lambda: len(e.read_json_output(out, True, quiet=True)) >= len(written), 20,
               "every event, the last one by flush_after", agent=agent)
    m = e.scrape(port)
    flushed = m.get("logagent_multiline_flushes_total", reason="flush_after")
    joined = m.get("logagent_multiline_joined_events_total")
    agent.stop()
    check_output("live", out, [(o, t, False) for o, t in written])
    e.check(flushed is not None and flushed >= 1, f"flush_after flushes: {flushed}")
    e.check(joined == sum(1 for _, t in written if "\n" in t), f"joined events metric {joined}")


def kill9_while_held(ctx: e.Context) -> None:
    logs = ctx.mkdir("kill")
    path = os.path.join(logs, "app.log")
    rng = random.Random(6)
    written = write_events(path, java_events(rng, 300, "k"))
    head = ["2024-05-01 14:00:00.000 ERROR [main] c.e.App - held across kill -9",
            "java.lang.IllegalStateException: written in two parts"]
    rest = ["\tat com.example.App.first(App.java:1)", "Caused by: java.io.IOException: eof",
            "\t... 3 more"]
    held = write_events(path, [head], mode="a")[0]
    outs = [ctx.path("out", "kill1.ndjson"), ctx.path("out", "kill2.ndjson")]
    ckpt = ctx.path("data-kill", "app.checkpoint")

    def config(run: int, flush_after: str) -> str:
        return e.make_config(ctx, paths=[path], sinks=[e.file_sink(outs[run])],
                             data_dir=ctx.path("data-kill"),
                             input_extra={"multiline": {"mode": "java",
                                                        "flush_after": flush_after}},
                             file_name=f"kill{run}.yaml")

    agent = ctx.agent(config(0, "1h"), label="kill1").start()
    e.wait_for(lambda: len(e.read_json_output(outs[0], True, quiet=True)) >= len(written), 20,
               "every event before the held one", agent=agent)
    e.wait_for(lambda: os.path.exists(ckpt), 10, "a checkpoint", agent=agent)
    time.sleep(1.2)  # a checkpoint after the last delivery
    agent.kill9()
    run1 = e.read_json_output(outs[0], True)
    e.check(all(ev["offset"] != held[0] for ev in run1),
            "the held event was delivered although flush_after is 1h")
    with open(ckpt, "rb") as f:
        saved = f.read()
    e.log(f"[kill] checkpoint after kill -9: {saved[:200]!r}")
    e.check(held[0] in e.checkpoint_offsets(ckpt),
            f"the checkpoint should stop at the held event's offset {held[0]}")
    # While the agent is down the writer finishes the event and goes on.
    write_events(path, [rest], mode="a")
    tail = write_events(path, [["2024-05-01 14:00:01.000 INFO  [main] c.e.App - after restart"]],
                        mode="a")
    expected = written + [(held[0], held[1] + "\n" + "\n".join(rest))] + tail

    agent = ctx.agent(config(1, "300ms"), label="kill2").start()
    e.wait_for(lambda: any(ev["offset"] == tail[0][0]
                           for ev in e.read_json_output(outs[1], True, quiet=True)),
               20, "the events after the restart", agent=agent)
    agent.stop()
    run2 = e.read_json_output(outs[1])
    by_offset = dict(expected)
    delivered = {}
    for ev in run1 + run2:
        want = by_offset.get(ev["offset"])
        e.check(want == ev["message"],
                f"event at offset {ev['offset']} is {ev['message'][:200]!r}, expected "
                f"{(want or '')[:200]!r} (split or merged?)")
        delivered[ev["offset"]] = delivered.get(ev["offset"], 0) + 1
    missing = [o for o, _ in expected if o not in delivered]
    dups = sum(n - 1 for n in delivered.values())
    e.log(f"[kill] expected={len(expected)} delivered={len(delivered)} missing={len(missing)} "
          f"duplicates={dups} run1={len(run1)} run2={len(run2)}")
    e.check(not missing, f"{len(missing)} events missing, first at offset {missing[:1]}")


def body(ctx: e.Context) -> None:
    ctx.mkdir("out")
    once_modes(ctx)
    validate_bad_pattern(ctx)
    live_flush_after(ctx)
    kill9_while_held(ctx)


if __name__ == "__main__":
    e.main("multiline", body)
