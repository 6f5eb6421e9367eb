#!/usr/bin/env python3
"""The delivery contract's checkpoint ownership, through the real binary (issue cases 5-9, 17).
Each case prints written / delivered / duplicates.

 1 start_failure  two pipelines; the second cannot start (its checkpoint path is a symlink loop:
                  ELOOP). The agent exits 1, and the first pipeline's checkpoint is the one it
                  had: a restart with the loop removed delivers nothing twice.
 2 reload_failure a reload changes a pipeline whose start then fails: /ready answers 503 naming
                  it, its checkpoint file is untouched, and once the fault is gone the next reload
                  starts it where it was (no duplicates). A data_dir change in the same reload is
                  not applied (it needs a restart): nothing is read again from another data_dir.
 3 lock           a second agent on the same data_dir is refused (exit 1, names the first's pid)
                  while the first keeps running.
 4 unopenable     a file that cannot be opened at start (0600 root file, agent as uid 65534)
                  keeps its checkpoint entry; after chmod it resumes there: no duplicates.
 5 once_exit      `run --once` whose checkpoint cannot be written (data_dir not writable for the
                  agent's user) exits non-zero and says why."""

from __future__ import annotations

import os

import e2e_lib as e

NOBODY = 65534


http = e.http
PREFIX = e.as_user(NOBODY) + ["--bounding-set=-all"]




def run_to_end(agent: e.Agent, timeout: float) -> int:
    """Starts the agent and waits for it to exit (its exit status)."""
    agent.start()
    rc = agent.wait(timeout)
    e.check(rc is not None, f"{agent.label}: still running after {timeout} s")
    return rc


def lines(prefix: str, n: int) -> list[bytes]:
    return [f"{prefix}-{i:05d}".encode() for i in range(n)]


def messages(path: str) -> list[bytes]:
    if not os.path.exists(path):
        return []
    return [ev["message"].encode() for ev in e.read_json_output(path, allow_torn_tail=True,
                                                                quiet=True)]


def config(ctx: e.Context, name: str, pipelines: list[dict], data: str, port: int | None = None,
           extra: dict | None = None) -> str:
    cfg = {"data_dir": data, "metrics": {"listen": f"127.0.0.1:{port}" if port else ""},
           "checkpoint_interval": "200ms", "shutdown_timeout": "5s", "pipelines": pipelines}
    cfg.update(extra or {})
    path = ctx.path(name, "config.yaml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return e.write_config(path, cfg)


def pipeline(name: str, glob: str, out: str) -> dict:
    return {"name": name, "input": {"type": "tail", "paths": [glob], "read_from": "head",
                                    "scan_interval": "200ms"},
            "sinks": [e.file_sink(out, "json")]}


def count(msgs: list[bytes], want: list[bytes], label: str) -> None:
    dup = len(msgs) - len(set(msgs))
    missing = len(set(want) - set(msgs))
    e.log(f"[{label}] written={len(want)} delivered={len(msgs)} missing={missing} "
          f"duplicates={dup}")
    e.check(missing == 0 and dup == 0, f"{label}: {missing} missing, {dup} duplicates")


def case_start_failure(ctx: e.Context) -> None:
    logs, data = ctx.mkdir("sf", "logs"), ctx.mkdir("sf", "data")
    out_a, out_b = ctx.path("sf", "a.ndjson"), ctx.path("sf", "b.ndjson")
    want = lines("a", 1000)
    e.write_lines(os.path.join(logs, "a.log"), want)
    good = config(ctx, "sf", [pipeline("a", os.path.join(logs, "a.log"), out_a)], data)
    e.check(run_to_end(ctx.agent(good, once=True, label="sf-once"), 60) == 0, "sf: first run")
    ckpt = os.path.join(data, "a.checkpoint")
    before = open(ckpt, "rb").read()
    loop = os.path.join(data, "b.checkpoint")
    os.symlink(loop, loop)  # ELOOP
    both = config(ctx, "sf2", [pipeline("a", os.path.join(logs, "a.log"), out_a),
                               pipeline("b", os.path.join(logs, "b.log"), out_b)], data)
    rc = run_to_end(ctx.agent(both, once=True, label="sf-fail"), 60)
    e.check(rc == 1, f"sf: a pipeline that cannot start exits 1 (got {rc})")
    e.check(open(ckpt, "rb").read() == before, "sf: the other pipeline's checkpoint was rewritten")
    os.unlink(loop)
    e.check(run_to_end(ctx.agent(both, once=True, label="sf-again"), 60) == 0, "sf: restart")
    count(messages(out_a), want, "1 start_failure")


def case_reload_failure(ctx: e.Context) -> None:
    logs, data = ctx.mkdir("rl", "logs"), ctx.mkdir("rl", "data")
    out = ctx.path("rl", "out.ndjson")
    port = e.free_port()
    want = lines("r", 500)
    e.write_lines(os.path.join(logs, "a.log"), want)
    path = config(ctx, "rl", [pipeline("a", os.path.join(logs, "*.log"), out)], data, port)
    agent = ctx.agent(path, label="rl").start()
    ckpt = os.path.join(data, "a.checkpoint")
    size = os.path.getsize(os.path.join(logs, "a.log"))
    # Checkpointed to the end: the old pipeline's final checkpoint at the reload writes nothing
    # new (an unchanged checkpoint is not rewritten), so the loop below stays in place.
    e.wait_for(lambda: e.checkpoint_offsets(ckpt) == [size], 20, "rl: checkpoint at the end",
               agent=agent)
    before = open(ckpt, "rb").read()
    # The changed pipeline cannot start: its checkpoint is replaced by a symlink loop.
    os.rename(ckpt, ckpt + ".saved")
    os.symlink(ckpt, ckpt)
    changed = pipeline("a", os.path.join(logs, "*.log"), out)
    changed["workers"] = 2
    e.write_config(path, {"data_dir": ctx.mkdir("rl", "other-data"),  # needs a restart: kept
                          "metrics": {"listen": f"127.0.0.1:{port}"}, "checkpoint_interval": "200ms",
                          "shutdown_timeout": "5s", "pipelines": [changed]})
    status, text = http(port, "/-/reload", "POST")
    e.check(status == 500, f"rl: reload with a failing pipeline answers 500 (got {status})")
    rstatus, rtext = http(port, "/ready")
    e.check(rstatus == 503 and "pipeline a" in rtext,
            f"rl: /ready {rstatus} while the pipeline is stopped: {rtext!r}")
    os.unlink(ckpt)
    os.rename(ckpt + ".saved", ckpt)
    e.check(open(ckpt, "rb").read() == before, "rl: the stopped pipeline's checkpoint changed")
    status, text = http(port, "/-/reload", "POST")
    e.check(status == 200, f"rl: the next reload starts it ({status}: {text!r})")
    more = lines("s", 200)
    e.write_lines(os.path.join(logs, "a.log"), more, mode="ab")
    e.wait_for(lambda: len(messages(out)) >= 700, 20, "rl: new lines delivered", agent=agent)
    agent.stop()
    e.check(not os.listdir(ctx.path("rl", "other-data")), "rl: the new data_dir was used")
    count(messages(out), want + more, "2 reload_failure")


def case_lock(ctx: e.Context) -> None:
    logs, data = ctx.mkdir("lk", "logs"), ctx.mkdir("lk", "data")
    e.write_lines(os.path.join(logs, "a.log"), lines("l", 10))
    out = ctx.path("lk", "out.ndjson")
    path = config(ctx, "lk", [pipeline("a", os.path.join(logs, "*.log"), out)], data)
    first = ctx.agent(path, label="lk1").start()
    # Delivering means running: the lock is taken before any pipeline starts.
    e.wait_for(lambda: len(messages(out)) >= 10, 20, "lk: first agent delivering", agent=first)
    second = ctx.agent(path, label="lk2")
    rc = run_to_end(second, 30)
    err = open(second.stderr_path, "rb").read()
    e.check(rc == 1, f"lk: the second agent exits 1 (got {rc})")
    e.check(b"in use by another logagent" in err and str(first.pid).encode() in err,
            f"lk: the refusal names the holder: {err[-300:]!r}")
    e.check(first.running(), "lk: the first agent keeps running")
    first.stop()
    e.log("[3 lock] second agent refused; first ran on")


def case_unopenable(ctx: e.Context) -> None:
    root = ctx.mkdir("uo")
    os.chmod(root, 0o755)
    logs, data = ctx.mkdir("uo", "logs"), ctx.mkdir("uo", "data")
    out = ctx.path("uo", "out", "out.ndjson")
    os.makedirs(os.path.dirname(out))
    for d in (data, os.path.dirname(out)):
        os.chown(d, NOBODY, NOBODY)
    os.chmod(ctx.dir, 0o755)
    f = os.path.join(logs, "a.log")
    want = lines("u", 300)
    e.write_lines(f, want[:100])
    os.chmod(f, 0o644)
    path = config(ctx, "uo", [pipeline("a", os.path.join(logs, "*.log"), out)], data)
    os.chmod(path, 0o644)
    def once(label: str) -> int:
        a = ctx.agent(path, once=True, label=label)
        a.argv = PREFIX + a.argv
        return run_to_end(a, 60)
    e.check(once("uo1") == 0, "uo: first run")
    e.write_lines(f, want[100:200], mode="ab")
    os.chmod(f, 0o600)  # root's: the agent cannot open it now
    once("uo2")
    ckpt = open(os.path.join(data, "a.checkpoint")).read()
    e.check(" a.log" in ckpt or "a.log" in ckpt, f"uo: the entry is kept: {ckpt!r}")
    os.chmod(f, 0o644)
    e.write_lines(f, want[200:], mode="ab")
    e.check(once("uo3") == 0, "uo: run after chmod")
    count(messages(out), want, "4 unopenable")


def case_once_exit(ctx: e.Context) -> None:
    root = ctx.mkdir("oe")
    os.chmod(ctx.dir, 0o755)
    os.chmod(root, 0o755)
    logs, data = ctx.mkdir("oe", "logs"), ctx.mkdir("oe", "data")  # root's 0755: not writable
    out = ctx.path("oe", "out", "out.ndjson")
    os.makedirs(os.path.dirname(out))
    os.chown(os.path.dirname(out), NOBODY, NOBODY)
    e.write_lines(os.path.join(logs, "a.log"), lines("o", 50))
    path = config(ctx, "oe", [pipeline("a", os.path.join(logs, "*.log"), out)], data)
    os.chmod(path, 0o644)
    a = ctx.agent(path, once=True, label="oe")
    a.argv = PREFIX + a.argv
    rc = run_to_end(a, 60)
    err = open(a.stderr_path, "rb").read()
    e.check(rc not in (0, None), f"oe: --once without a checkpoint exits non-zero (got {rc})")
    e.check(b"checkpoint could not be written" in err, f"oe: says why: {err[-300:]!r}")
    e.log(f"[5 once_exit] exit {rc}")


def body(ctx: e.Context) -> None:
    case_start_failure(ctx)
    case_reload_failure(ctx)
    case_lock(ctx)
    case_unopenable(ctx)
    case_once_exit(ctx)


if __name__ == "__main__":
    e.main("checkpoint_owner", body)
