#!/usr/bin/env python3
"""Fault matrix, agent-level half (issue 6): each case writes id lines, injects a fault into the
agent's environment, and compares the lines written with the lines delivered by the file sink,
printing written/delivered/missing/duplicates. A summary table closes the run.

  kill9_loop         kill -9 at random moments, 20 rounds, 4 streams written all the time and
                     renamed now and then (running and down); after the last restart and drain:
                     none missing, duplicates counted, order kept per physical file and run.
  inotify_instances  inotify instances exhausted: the agent runs as a dedicated unprivileged uid
                     whose instances a helper process holds (no system-wide sysctl change, so
                     nothing else on the host falls back); the agent must log the fallback, set
                     logagent_input_inotify_fallback 1 and still deliver every line by polling,
                     through rotations and a stream created later.
  inotify_watches    the same with inotify_add_watch failing (ENOSPC, the max_user_watches
                     limit): the agent runs in a child user namespace whose own
                     max_inotify_watches is 0 (the gauge must follow a fallback that happens
                     after start, too).
  queue_overflow     max_queued_events lowered (only while the agent creates its inotify
                     instance; the sysctl is read at inotify_init) and the agent SIGSTOPped while
                     the queue is filled with modify events, then a rotation and 40 new files
                     whose events are dropped: with scan_interval 1h only IN_Q_OVERFLOW can make
                     the agent rescan, so every line of the new files proves it did.
  full_data_dir      data_dir on a 1 MiB tmpfs, filled: checkpoint writes fail loudly (logged,
                     logagent_checkpoint_errors_total grows), delivery goes on, no crash; freed:
                     checkpoints written again; filled again, kill -9, restart on the full
                     filesystem, freed: nothing missing.
  corrupt_checkpoint garbage / truncated / wrong-checksum checkpoint: the agent starts, moves it
                     to .corrupt-<time>, logs it, counts logagent_checkpoint_corrupt_total and
                     reads every file from the start.

Every case runs even if an earlier one failed; LOGAGENT_FAULT_CASES=name,name runs a subset and
LOGAGENT_FAULT_SEED fixes the kill9_loop schedule. Sysctls are restored and the tmpfs unmounted
in finally blocks."""

from __future__ import annotations

import errno
import glob
import os
import pwd
import random
import signal
import subprocess
import sys
import time

import e2e_lib as e

ROWS: list[dict] = []


def messages(out: str) -> list[bytes]:
    """The messages of a json file sink output (a line torn by kill -9 is dropped)."""
    return [ev["message"].encode("utf-8", "surrogateescape")
            for ev in e.read_json_output(out, allow_torn_tail=True, quiet=True)]


def add_row(case: str, rep: e.Report, note: str = "") -> None:
    ROWS.append({"case": case, "written": rep.written, "delivered": rep.delivered,
                 "missing": len(rep.missing), "duplicates": rep.duplicates,
                 "out_of_order": len(rep.out_of_order), "note": note})


class Follower:
    """Parsed messages of one live output, refreshed on demand."""

    def __init__(self, out: str):
        self.f = e.OutputFollower(out)
        self.msgs: list[bytes] = []

    def refresh(self) -> list[bytes]:
        for line in self.f.read_new():
            self.msgs.append(e.parse_json_line(line, os.path.basename(self.f.path))[
                "message"].encode("utf-8", "surrogateescape"))
        return self.msgs


def id_sets(runs: list[list[bytes]]) -> dict[str, set]:
    ids: dict[str, set] = {}
    for msgs in runs:
        for s, seqs in e.delivered_ids(msgs).items():
            ids.setdefault(s, set()).update(seqs)
    return ids


def all_seen(written: dict[str, int], runs: list[list[bytes]],
             base: dict[str, set] | None = None) -> bool:
    """Every written seq of every stream is in `runs` (or in `base`, ids seen before)."""
    ids = id_sets(runs)
    for s, seqs in (base or {}).items():
        ids[s] = ids.get(s, set()) | seqs
    return all(len(ids.get(s, ())) >= n for s, n in written.items())


class Background(e.Background):
    """Writes `lines` to every stream every `interval` s; `every` s (random +-50%) calls
    `rotate(rng)`. Errors surface in stop()."""

    def __init__(self, writers: dict, lines: int, interval: float, rng: random.Random,
                 every: float | None = None, rotate=None):
        super().__init__(self.write_and_rotate, interval)
        self.writers, self.lines = writers, lines
        self.rng, self.every, self.rotate = rng, every, rotate
        self.rotations = 0
        self.next_rot = time.monotonic() + (every or 0) * rng.uniform(0.5, 1.5)

    def write_and_rotate(self) -> None:
        for w in list(self.writers.values()):
            w.write(self.lines)
        if self.every and time.monotonic() >= self.next_rot:
            self.rotate(self.rng)
            self.rotations += 1
            self.next_rot = time.monotonic() + self.every * self.rng.uniform(0.5, 1.5)


def settle(cond, timeout: float, what: str, agent: e.Agent) -> None:
    """Waits for `cond`; on a timeout only warns, so that the comparison that follows prints
    what is missing (a crash of `agent` still fails at once)."""
    try:
        waited = e.wait_for(cond, timeout, what, interval=0.3, agent=agent)
        e.log(f"{what}: {waited:.1f} s")
    except e.TestFailure as err:
        if not agent.running():
            raise
        e.log(f"warning: {err}")


def nothing_left(ctx: e.Context, label: str, paths: list[str], data: str) -> int:
    """After a clean stop the checkpoint must cover every byte delivered: a --once run from it
    reads nothing. Returns the lines it read (the caller checks 0)."""
    out = ctx.path(label, "after-stop.ndjson")
    cfg = e.make_config(ctx, paths=paths, sinks=[e.file_sink(out, "json")], data_dir=data,
                        file_name=f"{label}-after-stop.yaml")
    lines = ctx.run_once(cfg, label=f"{label}-after-stop").summary()["lines"]
    e.log(f"[{label}] --once after the clean stop read {lines} line(s)")
    return lines


def metric(port: int, name: str) -> float:
    m = e.try_scrape(port)
    v = m.get(name) if m else None
    return v or 0.0


def stderr_text(agent: e.Agent) -> str:
    return agent.stderr_bytes().decode("utf-8", "replace")


# --------------------------------------------------------------------------------------------
# 1. kill -9 at random moments


KILL_ROUNDS = 20


def case_kill9_loop(ctx: e.Context) -> None:
    seed = int(os.environ.get("LOGAGENT_FAULT_SEED", str(int(time.time()) % 100000)))
    rng = random.Random(seed)
    e.log(f"[kill9_loop] seed {seed} (LOGAGENT_FAULT_SEED={seed} replays the schedule)")
    logs = ctx.mkdir("k9", "logs")
    data = ctx.path("k9", "data")
    writers = {s: e.StreamWriter(logs, s, seed=i + 1) for i, s in enumerate("abcd")}
    for w in writers.values():
        w.write(500)
    renamed = {"n": 0}

    def rotate(r: random.Random) -> None:
        w = writers[r.choice("abcd")]
        renamed["n"] += 1
        w.rotate_rename_to(f"{w.path}.{renamed['n']}")  # still matched by *.log*: never lost

    outputs: list[str] = []

    def start(run: int) -> e.Agent:
        out = ctx.path("k9", "out", f"run{run:02d}.ndjson")
        outputs.append(out)
        cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log*")], workers=2,
                            sinks=[e.file_sink(out, "json")], data_dir=data,
                            input_extra={"scan_interval": "200ms"},
                            top_extra={"checkpoint_interval": "300ms"},
                            file_name=f"k9-{run:02d}.yaml")
        return ctx.agent(cfg, label=f"k9-run{run:02d}").start()

    bg = Background(writers, lines=8, interval=0.005, rng=random.Random(seed + 1), every=0.6,
                    rotate=rotate).start()
    early = 0
    try:
        for run in range(1, KILL_ROUNDS + 1):
            agent = start(run)
            # A third of the kills land in the first 300 ms (start-up, checkpoint load, first
            # scan), the rest while streaming.
            delay = rng.uniform(0.0, 0.3) if rng.random() < 0.33 else rng.uniform(0.3, 1.6)
            early += delay < 0.3
            time.sleep(delay)
            e.check(agent.running(), f"kill9_loop run {run}: the agent exited by itself "
                                     f"({agent.returncode}) before the kill")
            agent.kill9()
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0.0, 0.4))  # down for a while; writes and renames go on
        final = start(KILL_ROUNDS + 1)
        time.sleep(1.0)
    finally:
        bg.stop()
    written = {s: w.seq for s, w in writers.items()}
    e.log(f"[kill9_loop] {KILL_ROUNDS} kills ({early} within 300 ms of start); wrote "
          f"{sum(written.values())} lines {written}; {bg.rotations} renames")
    earlier = [messages(out) for out in outputs[:-1]]
    base = id_sets(earlier)
    follow = Follower(outputs[-1])
    settle(lambda: all_seen(written, [follow.refresh()], base), 90,
           "[kill9_loop] every line delivered after the last restart", final)
    final.stop(timeout=20)
    runs = earlier + [messages(outputs[-1])]
    rep = e.compare_by_id(written, runs, allow_duplicates=True)
    rep.print("kill9_loop")
    add_row("kill9_loop", rep, f"{KILL_ROUNDS} kills, {bg.rotations} renames, seed {seed}")
    rep.assert_ok("kill9_loop", allow_duplicates=True)
    left = nothing_left(ctx, "k9", [os.path.join(logs, "*.log*")], data)
    e.check(left == 0, f"kill9_loop: the checkpoint written at the clean stop misses {left} "
                       "line(s): a restart would send them again")


# --------------------------------------------------------------------------------------------
# 2. inotify instances exhausted: polling


HOLD_INSTANCES = r"""
import ctypes, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
libc = ctypes.CDLL(None, use_errno=True)
fds, err = [], 0
while len(fds) < 1000000:
    fd = libc.inotify_init1(0o2000000)
    if fd < 0:
        err = ctypes.get_errno()
        break
    fds.append(fd)
print(len(fds), err, flush=True)
sys.stdin.read()
"""

INSTANCES_SYSCTL = "/proc/sys/fs/inotify/max_user_instances"


def free_uid() -> int:
    """A uid with no passwd entry and no process: inotify limits are counted per uid, so
    exhausting this one's instances affects nothing else on the host."""
    used = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                used.add(os.stat(f"/proc/{pid}").st_uid)
            except OSError:
                pass
    for uid in range(61000, 62000):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in used:
                return uid
    raise e.TestFailure("no free uid in 61000..61999")


def read_int(path: str) -> int:
    with open(path) as f:
        return int(f.read().split()[0])


def write_sysctl(path: str, value: int) -> None:
    with open(path, "w") as f:
        f.write(f"{value}\n")


def chown_tree(path: str, uid: int) -> None:
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.chown(name, uid, uid)


def case_inotify_instances(ctx: e.Context) -> None:
    if os.geteuid() != 0:
        raise Skip("needs root to run the agent as a dedicated uid")
    if not os.path.exists("/usr/bin/setpriv"):
        raise Skip("setpriv (util-linux) is missing")
    uid = free_uid()
    as_uid = e.as_user(uid)
    limit = read_int(INSTANCES_SYSCTL)
    restore = None
    if limit > 4096:  # too many to hold from one process: lower it for the test's duration
        restore = limit
        write_sysctl(INSTANCES_SYSCTL, 128)
    helper = None
    try:
        os.chmod(ctx.dir, 0o711)  # traversable by the uid; its own subtree is its own
        base = ctx.mkdir("instances")
        for sub in ("logs", "out"):
            os.makedirs(os.path.join(base, sub))
        chown_tree(base, uid)
        helper = subprocess.Popen(as_uid + [sys.executable, "-c", HOLD_INSTANCES],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        held, err = (int(x) for x in helper.stdout.readline().split())
        limit_now = read_int(INSTANCES_SYSCTL)
        e.log(f"[inotify_instances] uid {uid}: helper holds {held} inotify instances "
              f"(max_user_instances={limit_now}, then errno {errno.errorcode.get(err, err)})")
        e.check(err == errno.EMFILE and held >= limit_now,
                f"could not exhaust the inotify instances of uid {uid}: {held} held, errno {err}")
        polling_body(ctx, "inotify_instances", base, as_uid, f"{held} instances held by uid")
    finally:
        if helper is not None:
            helper.stdin.close()
            helper.wait(10)
        if restore is not None:
            write_sysctl(INSTANCES_SYSCTL, restore)


# In a child user namespace, /proc/sys/user/max_inotify_* are that namespace's own limits (checked
# on top of the host's): 0 watches there makes inotify_add_watch fail with ENOSPC for the agent
# only. Root inside maps to root outside, so file access is unchanged.
NO_WATCHES = ["unshare", "-U", "-r", "sh", "-c",
              'echo 0 > /proc/sys/user/max_inotify_watches && exec "$@"', "sh"]


def case_inotify_watches(ctx: e.Context) -> None:
    probe = subprocess.run(NO_WATCHES + ["cat", "/proc/sys/user/max_inotify_watches"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != "0":
        raise Skip("cannot set max_inotify_watches in a child user namespace: "
                   f"{probe.stderr.strip() or probe.stdout.strip() or probe.returncode}")
    base = ctx.mkdir("watches")
    for sub in ("logs", "out"):
        os.makedirs(os.path.join(base, sub))
    polling_body(ctx, "inotify_watches", base, NO_WATCHES, "max_inotify_watches=0 (userns)")


def polling_body(ctx: e.Context, label: str, base: str, prefix: list[str], note: str) -> None:
    """Runs the agent behind `prefix` (which makes inotify fail), checks that it says so, then
    writes, rotates and adds a stream: every line must arrive by polling."""
    logs = os.path.join(base, "logs")
    out = os.path.join(base, "out", f"{label}.ndjson")
    port = e.free_port()
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], workers=2,
                        metrics_port=port, sinks=[e.file_sink(out, "json")],
                        data_dir=os.path.join(base, "data"),
                        input_extra={"scan_interval": "250ms", "poll_interval": "200ms"},
                        file_name=f"{label}.yaml")
    writers = {s: e.StreamWriter(logs, s, seed=i + 11) for i, s in enumerate("ab")}
    for w in writers.values():
        w.write(300)
    agent = ctx.agent(cfg, label=label)
    agent.argv = prefix + agent.argv
    agent.start()
    e.wait_for(lambda: e.try_scrape(port) is not None, 15, "metrics endpoint up", agent=agent)
    e.wait_for(lambda: "falling back to polling" in stderr_text(agent), 10,
               "the agent logs its fallback to polling", agent=agent)
    line = next(l for l in stderr_text(agent).splitlines() if "falling back to polling" in l)
    e.log(f"[{label}] logged: {line[line.find('tail:'):]}")

    def rotate(r: random.Random) -> None:
        writers["a"].rotate_rename(keep=3)  # *.log only: the old one is read via its fd

    bg = Background(writers, lines=10, interval=0.01, rng=random.Random(5), every=1.5,
                    rotate=rotate).start()
    try:
        time.sleep(2.0)
        writers["c"] = e.StreamWriter(logs, "c", seed=13)  # appears while polling
        time.sleep(2.0)
    finally:
        bg.stop()
    written = {s: w.seq for s, w in writers.items()}
    follow = Follower(out)
    settle(lambda: all_seen(written, [follow.refresh()]), 30,
           f"[{label}] every line delivered by polling", agent)
    gauge = metric(port, "logagent_input_inotify_fallback")
    agent.stop(timeout=20)
    rep = e.compare_by_id(written, [messages(out)], allow_duplicates=False)
    rep.print(label)
    note += f", {bg.rotations} renames, fallback gauge {gauge:.0f}"
    e.check(gauge == 1, f"logagent_input_inotify_fallback is {gauge}, want 1")
    add_row(label, rep, note)
    rep.assert_ok(label, allow_duplicates=False)


# --------------------------------------------------------------------------------------------
# 3. inotify queue overflow: full rescan


QUEUED_SYSCTL = "/proc/sys/fs/inotify/max_queued_events"
SMALL_QUEUE = 16


def case_queue_overflow(ctx: e.Context) -> None:
    if not os.access(QUEUED_SYSCTL, os.W_OK):
        raise Skip(f"{QUEUED_SYSCTL} is not writable (not root, or a container)")
    logs = ctx.mkdir("overflow", "logs")
    out = ctx.path("overflow", "out", "overflow.ndjson")
    port = e.free_port()
    # scan_interval 1h: after start-up, only inotify events (or IN_Q_OVERFLOW) cause a rescan.
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], workers=2, metrics_port=port,
                        sinks=[e.file_sink(out, "json")], data_dir=ctx.path("overflow", "data"),
                        input_extra={"scan_interval": "1h"}, file_name="overflow.yaml")
    writers = {s: e.StreamWriter(logs, s, seed=i + 21) for i, s in enumerate("ab")}
    for w in writers.values():
        w.write(200)
    old = read_int(QUEUED_SYSCTL)
    agent = ctx.agent(cfg, label="overflow")
    follow = Follower(out)
    try:
        write_sysctl(QUEUED_SYSCTL, SMALL_QUEUE)
        agent.start()
        # The queue size is fixed when the instance is created, before the first file is read.
        e.wait_for(lambda: all_seen({s: w.seq for s, w in writers.items()},
                                    [follow.refresh()]), 20, "the first 400 lines",
                   agent=agent)
    finally:
        write_sysctl(QUEUED_SYSCTL, old)
    e.check(metric(port, "logagent_input_inotify_fallback") == 0, "inotify is not in use")
    overflow_metric = next((n for n in ("logagent_input_inotify_overflows_total",
                                        "logagent_input_inotify_queue_overflows_total")
                            if (e.try_scrape(port) or e.Metrics("")).has(n)), None)
    rescans0 = metric(port, "logagent_input_rescans_total")
    overflows0 = metric(port, overflow_metric) if overflow_metric else 0.0

    agent.send_signal(signal.SIGSTOP)
    try:
        # Fill the queue with non-structural events (alternating files: inotify merges an event
        # identical to the last one queued), then a rotation and new files: their IN_CREATE and
        # IN_MOVED_* are dropped and one IN_Q_OVERFLOW is queued instead.
        for i in range(SMALL_QUEUE * 3):
            writers["ab"[i % 2]].write(1)
        writers["a"].rotate_rename_to(writers["a"].path + ".1")  # not matched by *.log
        writers["a"].write(100)
        for k in range(40):
            w = e.StreamWriter(logs, f"n{k:02d}", seed=100 + k)
            w.write(50)
            writers[w.stream] = w
    finally:
        agent.send_signal(signal.SIGCONT)
    written = {s: w.seq for s, w in writers.items()}
    settle(lambda: all_seen(written, [follow.refresh()]), 30,
           "[queue_overflow] every line, new files included, after the overflow (scan_interval "
           "is 1h: only the IN_Q_OVERFLOW rescan finds them)", agent)
    rescans = metric(port, "logagent_input_rescans_total") - rescans0
    e.log(f"[queue_overflow] rescans after the overflow: {rescans:.0f}")
    note = f"max_queued_events={SMALL_QUEUE}, 40 new files, {rescans:.0f} rescan(s)"
    overflows = metric(port, overflow_metric) - overflows0 if overflow_metric else 0.0
    if overflow_metric:
        note += f", {overflow_metric}+{overflows:.0f}"
    else:
        e.log("[queue_overflow] NOTE: the agent has no metric for IN_Q_OVERFLOW (only "
              "logagent_input_rescans_total, which also counts ordinary rescans) and logs "
              "nothing; reported to the lead")
        note += ", overflow not observable (no metric/log)"
    if "overflow" in stderr_text(agent).replace(ctx.path("overflow"), "").lower():
        note += ", logged"
    agent.stop(timeout=20)
    rep = e.compare_by_id(written, [messages(out)], allow_duplicates=False)
    rep.print("queue_overflow")
    add_row("queue_overflow", rep, note)
    e.check(rescans >= 1, "no rescan after the queue overflowed")
    e.check(not overflow_metric or overflows >= 1,
            f"{overflow_metric} did not count the overflow")
    rep.assert_ok("queue_overflow", allow_duplicates=False)


# --------------------------------------------------------------------------------------------
# 4. data_dir on a full filesystem


def fill(directory: str) -> int:
    """Writes <directory>/filler until ENOSPC; returns the bytes written."""
    block = b"\0" * 65536
    n = 0
    with open(os.path.join(directory, "filler"), "ab", buffering=0) as f:
        while True:
            try:
                n += f.write(block if n < 900_000 else block[:4096])
            except OSError as err:
                if err.errno != errno.ENOSPC:
                    raise
                break
    return n


def case_full_data_dir(ctx: e.Context) -> None:
    data = ctx.mkdir("full", "data")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", data],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip(f"mount -t tmpfs not permitted: {r.stderr.strip() or r.returncode}")
    try:
        full_data_dir_body(ctx, data)
    finally:
        for a in ctx.agents:
            a.kill_if_running()
        subprocess.run(["umount", data], check=False)


def full_data_dir_body(ctx: e.Context, data: str) -> None:
    logs = ctx.mkdir("full", "logs")
    ckpt = os.path.join(data, "app.checkpoint")
    writers = {s: e.StreamWriter(logs, s, seed=i + 31) for i, s in enumerate("ab")}
    for w in writers.values():
        w.write(200)
    outputs: list[str] = []

    def start(run: int) -> tuple[e.Agent, int]:
        port = e.free_port()
        out = ctx.path("full", "out", f"run{run}.ndjson")
        outputs.append(out)
        cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], workers=2,
                            metrics_port=port, sinks=[e.file_sink(out, "json")], data_dir=data,
                            input_extra={"scan_interval": "300ms"},
                            top_extra={"checkpoint_interval": "200ms"},
                            file_name=f"full{run}.yaml")
        a = ctx.agent(cfg, label=f"full-run{run}").start()
        e.wait_for(lambda: e.try_scrape(port) is not None, 15, "metrics endpoint up", agent=a)
        return a, port

    def delivered() -> int:
        return len(follow.refresh())

    def grows(port: int, name: str, what: str, agent: e.Agent, by: float = 3) -> None:
        v0 = metric(port, name)
        e.wait_for(lambda: metric(port, name) >= v0 + by, 20, f"{name} grows ({what})",
                   interval=0.1, agent=agent)

    bg = Background(writers, lines=10, interval=0.02, rng=random.Random(3)).start()
    try:
        agent, port = start(1)
        follow = Follower(outputs[-1])
        e.wait_for(lambda: os.path.exists(ckpt), 10, "a first checkpoint", agent=agent)
        filled = fill(data)
        e.log(f"[full_data_dir] tmpfs filled ({filled} bytes of filler)")
        errors0 = metric(port, "logagent_checkpoint_errors_total")
        grows(port, "logagent_checkpoint_errors_total", "full", agent)
        n = delivered()
        e.wait_for(lambda: delivered() >= n + 200, 20,
                   "delivery goes on while checkpoints fail", agent=agent)
        e.check("checkpoint not written" in stderr_text(agent),
                "a failed checkpoint write was not logged")
        e.log(f"[full_data_dir] checkpoint errors while full: "
              f"{metric(port, 'logagent_checkpoint_errors_total') - errors0:.0f}")

        os.unlink(os.path.join(data, "filler"))
        grows(port, "logagent_checkpoint_writes_total", "space freed", agent)
        e.check("checkpoint written again" in stderr_text(agent),
                "the recovery of checkpoint writes was not logged")

        fill(data)  # full again, then a crash: the restart finds a stale checkpoint
        grows(port, "logagent_checkpoint_errors_total", "full again", agent)
        agent.kill9()
        agent, port = start(2)  # starts on the full filesystem
        follow = Follower(outputs[-1])
        grows(port, "logagent_checkpoint_errors_total", "restarted while full", agent)
        n = delivered()
        e.wait_for(lambda: delivered() >= n + 200, 20, "restarted agent delivers while full",
                   agent=agent)
        # SIGTERM while full: the final checkpoint cannot be written; exit without a crash.
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(20)
        e.check(rc is not None, "still running 20 s after SIGTERM on a full data_dir")
        e.check(rc >= 0, f"killed by signal {-rc} at shutdown on a full data_dir")
        final = [line for line in stderr_text(agent).splitlines()
                 if "final checkpoint not written" in line]
        e.log(f"[full_data_dir] SIGTERM while full: exit {rc}; logged: "
              f"{final[-1][final[-1].find('final'):] if final else '(nothing)'}")
        e.check(bool(final), "the failed final checkpoint at shutdown was not logged as such")
        os.unlink(os.path.join(data, "filler"))
        agent, port = start(3)
        follow = Follower(outputs[-1])
        grows(port, "logagent_checkpoint_writes_total", "space freed, third run", agent, by=1)
    finally:
        bg.stop()
    written = {s: w.seq for s, w in writers.items()}
    first = id_sets([messages(o) for o in outputs[:-1]])
    settle(lambda: all_seen(written, [follow.refresh()], first), 30,
           "[full_data_dir] every line delivered", agent)
    agent.stop(timeout=20)
    rep = e.compare_by_id(written, [messages(o) for o in outputs], allow_duplicates=True)
    rep.print("full_data_dir")
    add_row("full_data_dir", rep, "1 MiB tmpfs filled twice; kill -9 and SIGTERM while full")
    e.check(os.path.exists(ckpt), "no checkpoint after the final stop")
    left = nothing_left(ctx, "full", [os.path.join(logs, "*.log")], data)
    e.check(left == 0, f"full_data_dir: the checkpoint written after space came back misses "
                       f"{left} line(s)")
    rep.assert_ok("full_data_dir", allow_duplicates=True)


# --------------------------------------------------------------------------------------------
# 5. corrupt checkpoint


def corrupt(text: bytes, how: str) -> bytes:
    if how == "garbage":
        return bytes(random.Random(7).randrange(256) for _ in range(300))
    if how == "truncated":
        return text[: len(text) // 2]
    if how == "checksum":  # an offset edited by hand: structure intact, checksum wrong
        lines = text.split(b"\n")
        fields = lines[1].split(b" ")
        fields[4] = str(int(fields[4]) // 2).encode()
        lines[1] = b" ".join(fields)
        return b"\n".join(lines)
    raise ValueError(how)


def case_corrupt_checkpoint(ctx: e.Context) -> None:
    reports: list[e.Report] = []
    try:
        for how in ("garbage", "truncated", "checksum"):
            corrupt_one(ctx, how, reports)
    finally:
        total = e.Report()
        for rep in reports:
            for k in ("written", "delivered", "duplicates"):
                setattr(total, k, getattr(total, k) + getattr(rep, k))
            total.missing += rep.missing
            total.out_of_order += rep.out_of_order
        if reports:
            add_row("corrupt_checkpoint", total,
                    f"{len(reports)} of garbage, truncated, wrong checksum")


def corrupt_one(ctx: e.Context, how: str, reports: list[e.Report]) -> None:
    base = ctx.mkdir(f"corrupt-{how}")
    logs = os.path.join(base, "logs")
    os.makedirs(logs)
    data = os.path.join(base, "data")
    ckpt = os.path.join(data, "app.checkpoint")
    writers = {s: e.StreamWriter(logs, s, seed=i + 41) for i, s in enumerate("ab")}
    for w in writers.values():
        w.write(1000)
    written = {s: w.seq for s, w in writers.items()}
    port = e.free_port()
    outs = [os.path.join(base, "out", f"run{k}.ndjson") for k in (1, 2, 3)]

    def config(k: int) -> str:
        return e.make_config(ctx, paths=[os.path.join(logs, "*.log")], workers=2,
                             metrics_port=port if k > 1 else None,
                             sinks=[e.file_sink(outs[k - 1], "json")], data_dir=data,
                             file_name=f"corrupt-{how}-{k}.yaml")

    ctx.run_once(config(1), label=f"corrupt-{how}-1")
    with open(ckpt, "rb") as f:
        good = f.read()
    e.check(good.count(b"\n") >= 4, f"{how}: checkpoint after run 1 has no entries: {good!r}")
    bad = corrupt(good, how)
    with open(ckpt, "wb") as f:
        f.write(bad)

    agent = ctx.agent(config(2), label=f"corrupt-{how}-2").start()
    follow = Follower(outs[1])
    settle(lambda: all_seen(written, [follow.refresh()]), 30,
           f"[corrupt_checkpoint {how}] every line read again from the start", agent)
    corrupt_total = metric(port, "logagent_checkpoint_corrupt_total")
    agent.stop(timeout=20)
    err = stderr_text(agent)
    aside = glob.glob(ckpt + ".corrupt-*")
    aside_bytes = open(aside[0], "rb").read() if len(aside) == 1 else None
    recovered = os.path.exists(ckpt)

    # The checkpoint written after the recovery is good: a third start resends nothing, and
    # the counter reads 0 (present, not absent, so that an alert sees its first increase).
    agent = ctx.agent(config(3), label=f"corrupt-{how}-3").start()
    e.wait_for(lambda: e.try_scrape(port) is not None, 15, "metrics endpoint up", agent=agent)
    e.wait_for(lambda: metric(port, "logagent_input_files_watched") >= 2, 10,
               f"{how}: run 3 watches both files", agent=agent)
    healthy_total = e.scrape(port).get("logagent_checkpoint_corrupt_total")
    time.sleep(0.5)
    agent.stop(timeout=20)

    alone = e.compare_by_id(written, [messages(outs[1])], allow_duplicates=False)
    alone.print(f"corrupt_checkpoint {how}, run 2 alone")
    rep = e.compare_by_id(written, [messages(o) for o in outs], allow_duplicates=True)
    rep.print(f"corrupt_checkpoint {how}")
    reports.append(rep)
    e.check(corrupt_total == 1,
            f"{how}: logagent_checkpoint_corrupt_total is {corrupt_total}, want 1")
    e.check("is corrupt" in err and ".corrupt-" in err, f"{how}: the corruption was not logged")
    e.check(len(aside) == 1, f"{how}: want one {ckpt}.corrupt-<time>, found {aside}")
    e.check(aside_bytes == bad, f"{how}: {aside[0]} does not hold the corrupt checkpoint")
    e.check(recovered, f"{how}: no new checkpoint after the restart")
    alone.assert_ok(f"corrupt_checkpoint {how}: run 2 alone", allow_duplicates=False)
    e.check(healthy_total == 0, f"{how}: run 3: logagent_checkpoint_corrupt_total is "
                                f"{healthy_total}, want 0")
    e.check(not messages(outs[2]), f"{how}: run 3 resent {len(messages(outs[2]))} lines "
                                   "despite the recovered checkpoint")
    e.check(len(glob.glob(ckpt + ".corrupt-*")) == 1, f"{how}: run 3 set a checkpoint aside")
    rep.assert_ok(f"corrupt_checkpoint {how}", allow_duplicates=True)


# --------------------------------------------------------------------------------------------


class Skip(Exception):
    """The case cannot run here; the message says why."""


CASES = [
    ("kill9_loop", case_kill9_loop),
    ("inotify_instances", case_inotify_instances),
    ("inotify_watches", case_inotify_watches),
    ("queue_overflow", case_queue_overflow),
    ("full_data_dir", case_full_data_dir),
    ("corrupt_checkpoint", case_corrupt_checkpoint),
]


def body(ctx: e.Context) -> None:
    wanted = [c for c in os.environ.get("LOGAGENT_FAULT_CASES", "").split(",") if c]
    unknown = set(wanted) - {n for n, _ in CASES}
    e.check(not unknown, f"unknown case(s) in LOGAGENT_FAULT_CASES: {sorted(unknown)}")
    status: dict[str, tuple[str, float]] = {}
    failures = []
    for name, fn in CASES:
        if wanted and name not in wanted:
            continue
        e.log(f"=== {name}")
        t0 = time.monotonic()
        try:
            fn(ctx)
            status[name] = ("PASS", time.monotonic() - t0)
        except Skip as s:
            e.log(f"SKIP {name}: {s}")
            status[name] = (f"SKIP ({s})", time.monotonic() - t0)
        except e.TestFailure as f:
            e.log(f"FAIL {name}: {f}")
            status[name] = ("FAIL", time.monotonic() - t0)
            failures.append(name)
        for a in ctx.agents:
            a.kill_if_running()
    by_case = {r["case"]: r for r in ROWS}
    e.log("\nfault matrix (agent level):")
    e.log(f"{'case':<20} {'written':>8} {'delivered':>9} {'missing':>7} {'duplicates':>10} "
          f"{'time':>6}  result / notes")
    for name, (result, secs) in status.items():
        r = by_case.get(name)
        counts = (f"{r['written']:>8} {r['delivered']:>9} {r['missing']:>7} "
                  f"{r['duplicates']:>10}" if r else f"{'-':>8} {'-':>9} {'-':>7} {'-':>10}")
        e.log(f"{name:<20} {counts} {secs:>5.1f}s  {result}"
              + (f"; {r['note']}" if r and r["note"] else ""))
    e.check(not failures, f"failed case(s): {', '.join(failures)}")


if __name__ == "__main__":
    e.main("fault_agent", body)
