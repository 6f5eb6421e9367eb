#!/usr/bin/env python3
"""Sink outcomes through the real binary (issue cases 10-14, 17): a sink answers every batch with
delivered, retry or rejected; retry never freezes a checkpoint, rejected stops loudly. Each case
prints written / delivered / missing / duplicates.

 1 fifo       a file sink at a FIFO with no reader: start-up does not hang (/healthz 200, /ready
              503 naming the sink); a first reader takes some lines and dies (EPIPE), a second
              reader gets the rest: nothing missing, and the checkpoint reaches the end of the
              file (no frozen offset). SIGTERM with no reader ends by the shutdown deadline.
 2 deleted    the file sink's output is deleted while the agent runs: the next batches go to a
              new file at the path; nothing written after the deletion is lost.
 3 enospc     the output's file system (a small tmpfs) fills mid-batch; the agent retries, then
              gets SIGTERM: the output ends at a batch boundary (no torn record). After the file
              system grows, a restart delivers the rest: nothing missing, no duplicates.
 4 fsync_eio  `fsync: true` onto an ext4 loop-mounted from a full tmpfs: fdatasync fails
              (ENOSPC/EIO). Nothing is acknowledged while it fails; once space is back everything
              is delivered; after unmount and mount again every line is on disk exactly once.
              Needs root and loop devices (skipped, and says so, without them).
 5 stdout     `run --once` to a stdout whose reader is gone (EPIPE): the batch is rejected, the
              pipeline stops, and the run exits non-zero naming the failure.
 6 once_partial `run --once` on a file whose writer is mid-line (case 18): the partial last line
              is held, the next run sends it whole -- one line is never two records; with
              `once_partial_line: emit` it is sent as it is.
 7 own_output a pipeline whose glob matches another pipeline's file sink output never reads it
              (the agent never reads what it writes; case 16).
 8 once_fds   `run --once` under `ulimit -n 20` with 30 files reads every line; a file nobody may
              open makes it exit non-zero naming the file (case 8).
 9 torn       a crash in the middle of write(2) (SIGKILL, power loss): the output ends in part of
              an unacknowledged batch -- whole records, then half of one (the bytes such a write
              leaves, made by encoding the same lines elsewhere). The restart cuts the partial
              record and writes the batch again from the checkpoint: every record parses, every
              line is there, the only duplicates are the batch's records that were whole."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

import e2e_lib as e

http = e.http


def lines(prefix: str, n: int, pad: int = 40) -> list[bytes]:
    return [f"{prefix}-{i:06d}-{'x' * pad}".encode() for i in range(n)]


def messages(path: str) -> list[bytes]:
    if not os.path.exists(path):
        return []
    return [ev["message"].encode() for ev in e.read_json_output(path, quiet=True)]


def report(label: str, want: list[bytes], got: list[bytes]) -> tuple[int, int]:
    missing = len(set(want) - set(got))
    dup = len(got) - len(set(got))
    e.log(f"[{label}] written={len(want)} delivered={len(got)} missing={missing} duplicates={dup}")
    return missing, dup




def config(ctx: e.Context, name: str, logs: str, sink: dict, port: int | None,
           workers: int = 1) -> str:
    data = ctx.mkdir(name, "data")
    cfg = {"data_dir": data, "metrics": {"listen": f"127.0.0.1:{port}" if port else ""},
           "checkpoint_interval": "200ms", "shutdown_timeout": "3s",
           "pipelines": [{"name": "app", "workers": workers,
                          "input": {"type": "tail", "paths": [os.path.join(logs, "*.log")],
                                    "read_from": "head", "scan_interval": "200ms"},
                          "sinks": [sink]}]}
    return e.write_config(ctx.path(name, "config.yaml"), cfg)


def ready(port: int) -> tuple[int, str]:
    return http(port, "/ready")


def metric(port: int, name: str, **labels: str) -> float:
    """A sample's value, 0 while it (or the listener) is not there yet."""
    m = e.try_scrape(port)
    return (m.get(name, **labels) or 0) if m is not None else 0


class FifoReader:
    """Reads lines from a FIFO on a thread until `stop_after` lines (then closes it: the reader
    dies) or until `until` is among them."""

    def __init__(self, path: str, stop_after: int | None = None, until: bytes | None = None):
        self.path, self.stop_after, self.until = path, stop_after, until
        self.got: list[bytes] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)  # blocks until the agent opens it for writing
        buf = b""
        try:
            while True:
                chunk = os.read(fd, 4096)
                if not chunk:
                    time.sleep(0.01)  # the writer closed (it reopens): keep the FIFO open
                    continue
                buf += chunk
                *complete, buf = buf.split(b"\n")
                for line in complete:
                    self.got.append(line)
                    if self.stop_after is not None and len(self.got) >= self.stop_after:
                        return
                    if self.until is not None and self.until in line:
                        return
        finally:
            os.close(fd)
            self.done.set()


def fifo_messages(raw: list[bytes]) -> list[bytes]:
    out = []
    for line in raw:
        if line:
            out.append(e.parse_json_line(line, "fifo")["message"].encode())
    return out


def case_fifo(ctx: e.Context) -> None:
    logs = ctx.mkdir("fifo", "logs")
    fifo = ctx.path("fifo", "out.fifo")
    os.mkfifo(fifo)
    port = e.free_port()
    first_lines, later = lines("f", 1000), lines("g", 2000)
    log_path = os.path.join(logs, "a.log")
    e.write_lines(log_path, first_lines)
    path = config(ctx, "fifo", logs, e.file_sink(fifo, "json"), port)
    a = ctx.agent(path, label="fifo").start()
    e.wait_for(lambda: e.try_scrape(port) is not None, 30, "fifo: metrics listener", agent=a)
    code, _ = http(port, "/healthz")
    e.check(code == 200, f"fifo: /healthz answers 200 while waiting for a reader (got {code})")
    e.wait_for(lambda: ready(port)[0] == 503 and "sink file" in ready(port)[1], 30,
               "fifo: /ready 503 names the sink waiting for a reader", agent=a)
    e.log(f"[1 fifo] /ready without a reader: {ready(port)[1].strip()!r}")
    # The first reader takes every line written so far (the pipe is then empty), then dies.
    first = FifoReader(fifo, until=first_lines[-1])
    e.check(first.done.wait(60), "fifo: the first reader got the first lines")
    retries = metric(port, "logagent_sink_retries_total", sink="file")
    e.write_lines(log_path, later, mode="ab")
    # No reader now: EPIPE, then ENXIO on reopening. Retried, never a frozen batch.
    e.wait_for(lambda: metric(port, "logagent_sink_retries_total", sink="file") > retries, 30,
               "fifo: a retry after EPIPE", agent=a)
    e.wait_for(lambda: ready(port)[0] == 503, 30, "fifo: /ready 503 while retrying", agent=a)
    e.log(f"[1 fifo] /ready after the reader died: {ready(port)[1].strip()!r}")
    second = FifoReader(fifo, until=later[-1])
    e.check(second.done.wait(60), "fifo: the second reader got the last line")
    got = fifo_messages(first.got) + fifo_messages(second.got)
    missing, dup = report("1 fifo", first_lines + later, got)
    e.check(missing == 0, f"fifo: {missing} lines missing")
    e.check(dup == 0, f"fifo: {dup} duplicates")
    size = os.path.getsize(log_path)
    ckpt = ctx.path("fifo", "data", "app.checkpoint")
    e.wait_for(lambda: e.checkpoint_offsets(ckpt) == [size], 30,
               f"fifo: the checkpoint reaches the end of the file ({size})", agent=a)
    e.wait_for(lambda: ready(port)[0] == 200, 30, "fifo: /ready 200 again", agent=a)
    e.wait_pool_returned(port, "fifo", agent=a)
    e.check(a.stop(timeout=30) == 0, "fifo: clean exit")
    # No reader and SIGTERM: the retries end at the shutdown deadline, the process exits.
    e.write_lines(log_path, lines("h", 100), mode="ab")
    b = ctx.agent(path, label="fifo-term").start()
    e.wait_for(lambda: metric(port, "logagent_sink_retries_total", sink="file") > 0, 30,
               "fifo-term: retrying without a reader", agent=b)
    rc = b.stop(timeout=30)
    e.check(rc == 0, f"fifo-term: SIGTERM ends the agent by the deadline (exit {rc})")
    e.check(e.checkpoint_offsets(ckpt) == [size], "fifo-term: nothing undelivered is checkpointed")


def case_deleted(ctx: e.Context) -> None:
    logs = ctx.mkdir("del", "logs")
    out = ctx.path("del", "out", "out.ndjson")
    port = e.free_port()
    log_path = os.path.join(logs, "a.log")
    before, after = lines("d", 1000), lines("e", 100)
    e.write_lines(log_path, before)
    a = ctx.agent(config(ctx, "del", logs, e.file_sink(out, "json"), port), label="del").start()
    e.wait_for(lambda: len(messages(out)) >= len(before), 60, "del: first lines delivered",
               agent=a)
    got = messages(out)
    os.remove(out)
    e.write_lines(log_path, after, mode="ab")
    e.wait_for(lambda: len(messages(out)) >= len(after), 60,
               "del: later lines in a new file at the path", agent=a)
    e.wait_pool_returned(port, "del", agent=a)
    e.check(a.stop() == 0, "del: clean exit")
    got += messages(out)
    missing, dup = report("2 deleted", before + after, got)
    e.check(missing == 0, f"del: {missing} lines missing")
    e.check(dup == 0, f"del: {dup} duplicates")


def mount_tmpfs(where: str, size: str) -> bool:
    os.makedirs(where, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where],
                       capture_output=True)
    return r.returncode == 0


def umount(where: str) -> None:
    subprocess.run(["umount", "-l", where], capture_output=True)


def case_enospc(ctx: e.Context) -> None:
    if os.geteuid() != 0:
        e.log("[3 enospc] skipped: needs root to mount a tmpfs")
        return
    logs = ctx.mkdir("nospc", "logs")
    mnt = ctx.path("nospc", "mnt")
    if not mount_tmpfs(mnt, "4m"):
        e.log("[3 enospc] skipped: cannot mount a tmpfs here")
        return
    try:
        out = os.path.join(mnt, "out.ndjson")
        port = e.free_port()
        want = lines("n", 40000)  # ~8 MiB of json: half of it fits in 4 MiB
        e.write_lines(os.path.join(logs, "a.log"), want)
        path = config(ctx, "nospc", logs, e.file_sink(out, "json"), port, workers=2)
        a = ctx.agent(path, label="nospc").start()
        e.wait_for(lambda: metric(port, "logagent_sink_write_errors_total", sink="file") > 0, 60,
                   "nospc: the disk is full and the sink retries", agent=a)
        e.wait_for(lambda: ready(port)[0] == 503 and "retrying" in ready(port)[1], 30,
                   "nospc: /ready 503 says the sink is retrying", agent=a)
        e.log(f"[3 enospc] /ready: {ready(port)[1].strip()!r}")
        e.check(a.stop(timeout=30) == 0, "nospc: SIGTERM while retrying exits 0")
        raw = open(out, "rb").read()
        e.check(raw.endswith(b"\n"), "nospc: the output ends at a record boundary (no torn batch)")
        first = messages(out)  # parses every line: a torn record fails here
        e.log(f"[3 enospc] {len(first)} lines fit before the disk was full")
        subprocess.run(["mount", "-o", "remount,size=32m", mnt], check=True)
        rc = ctx.agent(path, once=True, label="nospc-2").start().wait(120)
        e.check(rc == 0, f"nospc: the restart with room delivers the rest (exit {rc})")
        missing, dup = report("3 enospc", want, messages(out))
        e.check(missing == 0, f"nospc: {missing} lines missing")
        e.check(dup == 0, f"nospc: {dup} duplicates (a batch was doubled)")
    finally:
        umount(mnt)


def case_fsync_eio(ctx: e.Context) -> None:
    if os.geteuid() != 0 or not shutil.which("mkfs.ext4") or not os.path.exists(
            "/dev/loop-control"):
        e.log("[4 fsync_eio] skipped: needs root, mkfs.ext4 and loop devices")
        return
    logs = ctx.mkdir("eio", "logs")
    backing = ctx.path("eio", "backing")
    mnt = ctx.path("eio", "mnt")
    os.makedirs(mnt)
    if not mount_tmpfs(backing, "12m"):
        e.log("[4 fsync_eio] skipped: cannot mount a tmpfs here")
        return
    img = os.path.join(backing, "disk.img")
    mounted = False
    try:
        subprocess.run(["truncate", "-s", "64m", img], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
        r = subprocess.run(["mount", "-o", "loop,errors=continue", img, mnt], capture_output=True)
        if r.returncode != 0:
            e.log(f"[4 fsync_eio] skipped: loop mount failed: {r.stderr.decode().strip()}")
            return
        mounted = True
        # Fill the tmpfs under the image: ext4 still takes writes into the page cache, but
        # writing them back to the image fails, so fdatasync reports the error.
        filler = os.path.join(backing, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=64"],
                       capture_output=True)
        out = os.path.join(mnt, "out.ndjson")
        port = e.free_port()
        want = lines("s", 20000, pad=200)  # ~4.6 MiB of json: more than the image has room for
        e.write_lines(os.path.join(logs, "a.log"), want)
        sink = e.file_sink(out, "json")
        sink["fsync"] = True
        path = config(ctx, "eio", logs, sink, port)
        a = ctx.agent(path, label="eio").start()
        e.wait_for(lambda: metric(port, "logagent_sink_write_errors_total", sink="file") > 0, 60,
                   "eio: fdatasync fails and the sink retries", agent=a)
        acked_while_failing = metric(port, "logagent_sink_events_total", sink="file",
                                     result="ok")
        os.remove(filler)  # space is back
        e.wait_for(lambda: metric(port, "logagent_sink_events_total", sink="file",
                                  result="ok") >= len(want), 120,
                   "eio: everything delivered once space is back", agent=a)
        e.wait_pool_returned(port, "eio", agent=a)
        e.check(a.stop(timeout=30) == 0, "eio: clean exit")
        subprocess.run(["umount", mnt], check=True)
        mounted = False
        subprocess.run(["mount", "-o", "loop", img, mnt], check=True)
        mounted = True
        got = messages(out)
        missing, dup = report("4 fsync_eio", want, got)
        e.log(f"[4 fsync_eio] acknowledged while fdatasync failed: {int(acked_while_failing)}")
        e.check(missing == 0, f"eio: {missing} lines acknowledged as durable are not on disk")
        e.check(dup == 0, f"eio: {dup} duplicates")
    finally:
        if mounted:
            subprocess.run(["umount", mnt], capture_output=True)
        umount(backing)


def case_stdout(ctx: e.Context) -> None:
    logs = ctx.mkdir("so", "logs")
    e.write_lines(os.path.join(logs, "a.log"), lines("o", 20000))
    path = config(ctx, "so", logs, {"type": "stdout", "format": "raw"}, None)
    r, w = os.pipe()
    os.close(r)  # nobody will ever read
    p = subprocess.Popen([ctx.logagent, "run", "-c", path, "--once"], stdout=w,
                         stderr=subprocess.PIPE)
    os.close(w)
    try:
        _, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        raise e.TestFailure("stdout: --once to a closed stdout did not end")
    e.check(p.returncode not in (0, None), f"stdout: exit non-zero (got {p.returncode})")
    e.check(b"rejected" in err and b"Broken pipe" in err,
            f"stdout: says why: {err[-400:]!r}")
    e.log(f"[5 stdout] exit {p.returncode}")


def case_once_partial(ctx: e.Context) -> None:
    logs = ctx.mkdir("op", "logs")
    out = ctx.path("op", "out", "out.ndjson")
    log_path = os.path.join(logs, "a.log")
    want = lines("p", 1000)
    with open(log_path, "wb") as f:
        f.write(b"\n".join(want[:500]) + b"\n" + want[500][:20])  # the writer is mid-line
    path = config(ctx, "op", logs, e.file_sink(out, "json"), None)
    ctx.run_once(path, label="op-1")
    e.check(messages(out) == want[:500], "op: the first run sends the complete lines only")
    with open(log_path, "ab") as f:
        f.write(want[500][20:] + b"\n" + b"\n".join(want[501:]) + b"\n")
    ctx.run_once(path, label="op-2")
    got = messages(out)
    missing, dup = report("6 once_partial", want, got)
    e.check(got == want, f"op: every line once, whole, in order (missing {missing}, dup {dup})")
    # emit: for archives that will not grow.
    logs2 = ctx.mkdir("op2", "logs")
    out2 = ctx.path("op2", "out", "out.ndjson")
    with open(os.path.join(logs2, "b.log"), "wb") as f:
        f.write(b"complete\nno newline at the end")
    cfg = e.make_config(ctx, paths=[os.path.join(logs2, "*.log")], sinks=[e.file_sink(out2)],
                        data_dir=ctx.path("op2", "data"), file_name="op2.yaml",
                        input_extra={"once_partial_line": "emit"})
    ctx.run_once(cfg, label="op-emit")
    e.check(messages(out2) == [b"complete", b"no newline at the end"],
            f"op: emit sends the last line: {messages(out2)!r}")


def case_own_output(ctx: e.Context) -> None:
    """Case 16 at run time: pipeline b's glob matches pipeline a's output file; b never reads it
    (validate refuses the same inside one pipeline: test_validate.py)."""
    logs, outs = ctx.mkdir("own", "logs"), ctx.mkdir("own", "out")
    out_a = os.path.join(outs, "a.log")
    out_b = ctx.path("own", "b", "b.ndjson")
    want = lines("o", 100)
    e.write_lines(os.path.join(logs, "in.log"), want)
    tail = {"type": "tail", "read_from": "head", "scan_interval": "200ms"}
    cfg = {"data_dir": ctx.mkdir("own", "data"), "metrics": {"listen": ""},
           "pipelines": [
               {"name": "a", "input": dict(tail, paths=[os.path.join(logs, "*.log")]),
                "sinks": [e.file_sink(out_a, "raw")]},
               {"name": "b", "input": dict(tail, paths=[os.path.join(outs, "*.log")]),
                "sinks": [e.file_sink(out_b, "json")]}]}
    path = e.write_config(ctx.path("own", "config.yaml"), cfg)
    ctx.run_once(path, label="own")
    ctx.run_once(path, label="own-2")  # a.log exists from the start now
    got = open(out_a, "rb").read().splitlines()
    report("7 own_output", want, got)
    e.check(got == want, "own: pipeline a delivered every line once")
    e.check(messages(out_b) == [], f"own: pipeline b read the agent's own output: "
            f"{len(messages(out_b))} lines")


def case_once_fds(ctx: e.Context) -> None:
    """Case 8's --once half: under `ulimit -n 20` with 30 files every line is read (files read to
    their end give their descriptors back); a file that cannot be opened at all (0000, agent as
    nobody) makes the run exit non-zero naming it."""
    root = ctx.mkdir("fds")
    logs = ctx.mkdir("fds", "logs")
    want = []
    for i in range(30):
        ls = lines(f"fd{i:02d}", 100)
        e.write_lines(os.path.join(logs, f"f{i:02d}.log"), ls)
        want += ls
    out = ctx.path("fds", "out", "out.ndjson")
    path = config(ctx, "fds", logs, e.file_sink(out, "json"), None)
    a = ctx.agent(path, once=True, label="fds")
    a.argv = ["prlimit", "--nofile=20:20", "--"] + a.argv
    rc = a.start().wait(120)
    e.check(rc == 0, f"fds: --once under ulimit -n 20 exits 0 (got {rc})")
    missing, dup = report("8 once_fds", want, messages(out))
    e.check(missing == 0 and dup == 0, f"fds: missing {missing}, duplicates {dup}")
    # A file nobody may open: the run says so and exits non-zero.
    for d in (ctx.dir, root, logs, ctx.path("fds", "out"), ctx.path("fds", "data")):
        os.chmod(d, 0o777)
    for f in os.listdir(ctx.path("fds", "data")):
        os.chmod(os.path.join(ctx.path("fds", "data"), f), 0o666)
    os.chmod(out, 0o666)
    e.write_lines(os.path.join(logs, "f00.log"), lines("more", 10), mode="ab")
    secret = os.path.join(logs, "secret.log")
    e.write_lines(secret, lines("s", 10))
    os.chmod(secret, 0o000)
    os.chmod(path, 0o644)
    b = ctx.agent(path, once=True, label="fds-eacces")
    b.argv = e.as_user(65534) + ["--bounding-set=-all"] + b.argv
    rc = b.start().wait(120)
    err = open(b.stderr_path, "rb").read()
    e.check(rc not in (0, None), f"fds: an unreadable file makes --once exit non-zero (got {rc})")
    e.check(b"not read: app: " in err and b"secret.log: cannot open: Permission denied" in err,
            f"fds: the summary names the file: {err[-300:]!r}")
    e.log(f"[8 once_fds] unreadable file: exit {rc}")


def case_torn(ctx: e.Context) -> None:
    logs = ctx.mkdir("torn", "logs")
    out = ctx.path("torn", "out", "out.ndjson")
    log_path = os.path.join(logs, "a.log")
    first, second = lines("t", 500), lines("u", 500)
    e.write_lines(log_path, first)
    path = config(ctx, "torn", logs, e.file_sink(out, "json"), None)
    ctx.run_once(path, label="torn-1")
    e.write_lines(log_path, second, mode="ab")
    # What the crashed write of the next batch left: its first 20 records and half the 21st.
    scratch_logs = ctx.mkdir("torn-ref", "logs")
    e.write_lines(os.path.join(scratch_logs, "a.log"), second)
    ref = ctx.path("torn-ref", "out", "out.ndjson")
    ctx.run_once(config(ctx, "torn-ref", scratch_logs, e.file_sink(ref, "json"), None),
                 label="torn-ref")
    with open(ref, "rb") as f:
        records = f.read().split(b"\n")
    torn = b"\n".join(records[:20]) + b"\n" + records[20][: len(records[20]) // 2]
    with open(out, "ab") as f:
        f.write(torn)
    r = ctx.run_once(path, label="torn-2")
    err = open(r.stderr_path, "rb").read()
    e.check(b"ended in a partial record" in err, f"torn: the cut is not logged: {err[-300:]!r}")
    got = messages(out)  # parses every record: a continued torn one fails here
    missing, dup = report("9 torn", first + second, got)
    e.check(missing == 0, f"torn: {missing} lines missing")
    e.check(dup == 20, f"torn: {dup} duplicates, want the 20 whole records of the torn batch")


CASES = {"1": case_fifo, "2": case_deleted, "3": case_enospc, "4": case_fsync_eio,
         "5": case_stdout, "6": case_once_partial, "7": case_own_output, "8": case_once_fds,
         "9": case_torn}


def body(ctx: e.Context) -> None:
    only = os.environ.get("LOGAGENT_SINK_CASES")
    for key, fn in CASES.items():
        if only and key not in only.split(","):
            continue
        fn(ctx)


if __name__ == "__main__":
    e.main("sink_outcomes", body)
