#!/usr/bin/env python3
"""Fault matrix, file-system half: each case drives the real binary through one way files change
under a tail input, compares the lines written with the lines delivered, and prints
`written=... delivered=... missing=0 duplicates=...`; a table of every case's counts ends the run.

 1 rotation_rate   rename rotation (logrotate style) every 1,000 lines of each stream, as fast as
                   the writer goes (no minimum life under a name: discovery opens a file when it
                   appears and follows its renames, whatever the reader is doing). Under "*.log*"
                   (renamed files stay matched) four streams write 300,000 lines; under "*.log"
                   (a renamed file is read to its end through the descriptor discovery pinned)
                   two streams write 80,000. The oldest file (keep=3..5) is overwritten by the
                   next rotation, only once the agent holds it open or has delivered every line
                   of it (/proc/PID/fd): a file deleted before the agent could ever open it is
                   truly gone, which case stall_rotation covers. Nothing missing, nothing twice,
                   no byte abandoned (logagent_input_bytes_abandoned_total = 0), no file lost
                   (logagent_input_files_lost_total = 0).
 2 truncation      copy-truncate every 1,000 lines with the writer going on at once after the
                   truncation (the new content's first bytes differ, so the fingerprint tells a
                   file that regrew past the old offset from an append); and truncation to a
                   non-zero size (truncate -s N, N < offset, on a line boundary), once past the
                   fingerprint (N > 1 KiB: the writer waits until the truncation is counted, since
                   regrowth with an unchanged first KiB cannot be told from an append) and once
                   inside it (N < 1 KiB: no wait).
                   "Delivered" for a non-zero truncation: the agent cannot know that the kept
                   prefix was not rewritten, so it reads the file again from offset 0 as a new
                   generation: the kept prefix's lines are delivered a second time (exactly once
                   more, expected duplicates, checked), then every new line once; each
                   truncation is counted by logagent_input_truncations_total.
 3 inode_reuse     a file deleted and created again with the same inode (checked with os.stat;
                   ext4 and most file systems hand the freed inode out again): while the agent
                   is stopped (the checkpoint names that inode; the new file is longer than the
                   saved offset, so only the fingerprint tells), and live while the file is
                   closed by the open-files budget (max_open_files: 1), with new content longer
                   than, and of the same size as, the old (the agent is paused meanwhile with
                   SIGSTOP, so it sees only the final state: same path, inode and size; the
                   mtime tells). The new file is read from its start.
 4 symlinks        a followed file moved away and replaced by a symlink to itself (mv; ln -s: the
                   name is missing for a moment; followed on, not read again); a
                   file replaced by a symlink to another file (the old one drained, the target read
                   from 0) or to a file the glob also matches (read once); the Kubernetes layout:
                   containers/<pod>_<ns>_<ctr>-<id>.log -> pods/<ns>_<pod>_<uid>/<ctr>/0.log
                   with pods/ itself a symlink to another disk (a symlinked directory), rotation
                   inside the pods directory (0.log -> 0.log.<timestamp>, new 0.log,
                   oldest rotated file deleted), container restarts (1.log) with the symlink
                   retargeted in place, and with a new symlink for the new container id (the old
                   one removed). All lines once, in order per physical file.
 5 unreadable      the agent runs unprivileged (setpriv to uid/gid 65534, no capabilities); a
                   root-owned 0600 file and a 0700 directory are not readable at first: the open
                   error is counted (logagent_input_open_errors_total, again at later scans) and
                   logged; after chmod every line arrives.
 6 late_dir        glob <root>/x/*/app/*.log where x/<svc>/app is created after start (and x
                   itself did not exist): found by the rescan; later files in it through inotify;
                   a directory removed and created again is followed again.
 7 many_files      10,000 files in one glob: --once and live (appends to every file, 500 files
                   created while running). Every line once; open descriptors stay within
                   max_open_files (the agent's /proc/PID/fd is sampled: files beyond the budget
                   are opened only to be read and closed again); peak RSS is printed and bounded.
 8 stall_rotation  the agent stopped (SIGSTOP: a DaemonSet at its CPU limit, a stalled host)
                   while a.log ("*.log") is rotated 6 times, 10,000 lines a generation, keep 10:
                   the generations created and rotated out of the glob meanwhile are found
                   through the inotify history after SIGCONT and read; none missing. Meanwhile
                   g.log's first generation is rotated and deleted before the agent could ever
                   open it: exactly its 1,000 lines are missing, and exactly that file is counted
                   (logagent_input_files_lost_total{reason="deleted"} = 1) and logged by name.

LOGAGENT_FAULT_CASES=1,4 runs a subset (local use)."""

from __future__ import annotations

import collections
import os
import shutil
import signal
import subprocess
import threading
import time

import e2e_lib as e

SANITIZED = os.environ.get("LOGAGENT_SANITIZED") == "1"
NOBODY = 65534
# Peak RSS for 10,500 followed files (~45 MiB measured). Under AddressSanitizer RSS is shadow
# memory and quarantine: reported only.
RSS_LIMIT = 128 * 2**20 if not SANITIZED else float("inf")


# --------------------------------------------------------------------------------------------
# Helpers shared by the cases


class Live:
    """One live agent with a metrics port and a json file sink in its own directory."""

    def __init__(self, ctx: e.Context, name: str, paths: list[str], input_extra: dict | None = None,
                 workers: int = 2, prefix: list[str] | None = None, dirs_owner: int | None = None):
        self.ctx = ctx
        self.name = name
        self.port = e.free_port()
        self.out = ctx.path(name, "out", "out.ndjson")
        self.data = ctx.path(name, "data")
        for d in (os.path.dirname(self.out), self.data):
            os.makedirs(d, exist_ok=True)
            if dirs_owner is not None:
                os.chown(d, dirs_owner, dirs_owner)
        extra = {"scan_interval": "250ms"}
        extra.update(input_extra or {})
        self.cfg = e.make_config(ctx, paths=paths, workers=workers, metrics_port=self.port,
                                 data_dir=self.data, sinks=[e.file_sink(self.out, "json")],
                                 input_extra=extra, file_name=os.path.join(name, "config.yaml"))
        os.chmod(self.cfg, 0o644)
        self.prefix = prefix or []
        self.follower = e.OutputFollower(self.out)
        self.messages: list[bytes] = []
        self.lock = threading.Lock()
        self.agent: e.Agent | None = None
        self.runs = 0

    def start(self, track_memory: bool = False) -> "Live":
        self.runs += 1
        self.agent = self.ctx.agent(self.cfg, label=f"{self.name}{self.runs}")
        self.agent.argv = self.prefix + self.agent.argv
        self.agent.start(track_memory=track_memory)
        e.wait_for(lambda: e.try_scrape(self.port) is not None, 20,
                   f"{self.name}: metrics endpoint up", agent=self.agent)
        return self

    def refresh(self) -> list[bytes]:
        with self.lock:
            for line in self.follower.read_new():
                self.messages.append(e.parse_json_line(line, self.out)["message"].encode(
                    "utf-8", "surrogateescape"))
            return self.messages

    def ids(self) -> dict:
        return e.delivered_ids(self.refresh())

    def has_all(self, written: dict[str, int]) -> bool:
        ids = self.ids()
        return all(len(ids.get(s, ())) >= n for s, n in written.items())

    def wait_all(self, written: dict[str, int], timeout: float = 30) -> float:
        return e.wait_for(lambda: self.has_all(written), timeout,
                          f"{self.name}: every written line delivered", interval=0.05,
                          agent=self.agent)

    def metric(self, name: str, **labels: str) -> float:
        m = e.try_scrape(self.port)
        v = m.get(name, **labels) if m else None
        return v or 0.0

    def stop(self, pool_returned: bool = True) -> None:
        """Stops the agent; first, unless told otherwise (a fault still on), waits until its
        buffer pool is all back."""
        assert self.agent is not None
        if pool_returned and self.agent.running():
            e.wait_pool_returned(self.port, self.name, agent=self.agent)
        self.agent.stop(timeout=20)

    def final(self) -> list[bytes]:
        """The whole output as it is on disk (judged after the agent stopped)."""
        return [ev["message"].encode("utf-8", "surrogateescape")
                for ev in e.read_json_output(self.out)]


class Rows:
    """The summary table."""

    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, case: str, rep: e.Report, note: str = "") -> None:
        self.rows.append((case, rep.written, rep.delivered, len(rep.missing), rep.duplicates,
                          note))

    def print(self) -> None:
        e.log("")
        e.log(f"{'case':<40} {'written':>9} {'delivered':>10} {'missing':>8} {'duplicates':>11}  "
              "notes")
        for case, w, d, m, dup, note in self.rows:
            e.log(f"{case:<40} {w:>9} {d:>10} {m:>8} {dup:>11}  {note}")


def judge(rows: Rows, case: str, rep: e.Report, note: str = "", allow_duplicates: bool = False,
          expected_duplicates: int | None = None) -> None:
    rep.print(case)
    rows.add(case, rep, note)
    if expected_duplicates is not None:
        rep.assert_ok(case, allow_duplicates=True)
        e.check(rep.duplicates == expected_duplicates,
                f"{case}: {rep.duplicates} duplicates, want exactly {expected_duplicates} (the "
                "kept prefix read again)")
    else:
        rep.assert_ok(case, allow_duplicates=allow_duplicates)


def writer_at(path: str, stream: str, seed: int) -> e.StreamWriter:
    """A StreamWriter whose file is `path` (any name) rather than <dir>/<stream>.log."""
    w = e.StreamWriter(os.path.dirname(path), stream, seed=seed)
    w.path = path
    return w


def new_file_same_inode(path: str, ino: int, write: callable, attempts: int = 2000) -> bool:
    """Deletes `path`, creates it again (empty) and calls write() to fill it once it has inode
    `ino`. ext4 hands out the lowest free inode of the directory's group: when lower ones are
    free (freed by other processes), an attempt that gets one moves its empty file aside to an
    unmatched name (".hold-N", keeping that inode taken) and tries again; the agent reads
    nothing from those. False when `ino` never came back (the file is then filled anyway)."""
    os.unlink(path)
    holds = []
    try:
        for i in range(attempts):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            if os.stat(path).st_ino == ino:
                write()
                return True
            hold = os.path.join(os.path.dirname(path), f".hold-{i}")
            os.rename(path, hold)
            holds.append(hold)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        write()
        return False
    finally:
        for h in holds:
            os.unlink(h)


# --------------------------------------------------------------------------------------------
# 1. Rename rotation at a high rate


def rotation_part(ctx: e.Context, rows: Rows, name: str, glob: str, keeps: dict[str, int],
                  per_stream: int) -> None:
    """Streams write 100 lines at a time, round-robin, and rotate every 1,000 lines; the oldest
    file is overwritten once the agent holds it or has delivered all of it."""
    logs = ctx.mkdir(name, "logs")
    live = Live(ctx, name, [os.path.join(logs, glob)], workers=2)
    writers = {s: e.StreamWriter(logs, s, seed=i + 11) for i, s in enumerate(keeps)}
    live.start()
    waits = [0, 0.0]  # overwrites that had to wait, seconds waited

    def held_or_read(path: str) -> None:
        def ok() -> bool:
            if e.holds_file(live.agent.proc.pid, path):
                return True
            ids = live.ids()
            return all(seqs <= ids.get(s, set()) for s, seqs in e.file_ids(path).items())
        if not ok():
            t = time.monotonic()
            e.wait_for(ok, 60, f"{name}: the agent holds or has read {path}", interval=0.01,
                       agent=live.agent)
            waits[0] += 1
            waits[1] += time.monotonic() - t

    t0 = time.monotonic()
    rotations = 0
    while any(w.seq < per_stream for w in writers.values()):
        for s, w in writers.items():
            if w.seq >= per_stream:
                continue
            w.write(100)
            if w.seq % 1000 == 0:
                w.rotate_rename(keep=keeps[s], before_overwrite=held_or_read)
                rotations += 1
    took = time.monotonic() - t0
    written = {s: w.seq for s, w in writers.items()}
    total = sum(written.values())
    e.log(f"[{name}] wrote {total} lines in {took:.1f} s ({total / took:,.0f} lines/s), "
          f"{rotations} rotations (every 1,000 lines per stream, keep {keeps}); {waits[0]} "
          f"overwrites waited for the agent ({waits[1]:.2f} s)")
    try:
        waited = live.wait_all(written, timeout=60)
        e.log(f"[{name}] caught up {waited:.2f} s after the writer stopped")
    except e.TestFailure as err:
        e.log(f"[{name}] warning: {err}")
    abandoned = live.metric("logagent_input_bytes_abandoned_total")
    rot = live.metric("logagent_input_rotations_total")
    lost = sum(live.metric("logagent_input_files_lost_total", reason=r)
               for r in ("deleted", "overwritten", "moved_away"))
    e.log(f"[{name}] logagent_input_rotations_total={rot:.0f} "
          f"logagent_input_bytes_abandoned_total={abandoned:.0f} "
          f"logagent_input_files_lost_total={lost:.0f}")
    live.stop()
    rep = e.compare_by_id(written, [live.final()], allow_duplicates=False)
    judge(rows, f"1 rotation {glob} every 1000", rep,
          f"{rotations} rotations, {total / took:,.0f} lines/s")
    e.check(abandoned == 0, f"{name}: {abandoned:.0f} bytes abandoned")
    e.check(lost == 0, f"{name}: {lost:.0f} files counted lost")


def case_rotation_rate(ctx: e.Context, rows: Rows) -> None:
    # Renamed files stay matched (4 streams).
    rotation_part(ctx, rows, "rot-follow", "*.log*", {"a": 3, "b": 5, "c": 3, "d": 4},
                  per_stream=75_000)
    # Renamed files leave the glob at once: found through the rename history and pinned.
    rotation_part(ctx, rows, "rot-drain", "*.log", {"e": 3, "f": 4}, per_stream=40_000)


# --------------------------------------------------------------------------------------------
# 2. Copy-truncate, and truncation to a non-zero size


def line_ends(path: str) -> list[int]:
    """The offset just after each '\n' of a file."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], data.find(b"\n")
    while pos >= 0:
        out.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return out


def seqs_of(messages: list[bytes], stream: str) -> list[int]:
    out = []
    for m in messages:
        mm = e.ID_RE.match(m)
        if mm and mm.group(1).decode() == stream:
            out.append(int(mm.group(3)))
    return out


def only(messages: list[bytes], *streams: str) -> list[bytes]:
    want = {x.encode() for x in streams}
    return [m for m in messages if (mm := e.ID_RE.match(m)) is None or mm.group(1) in want]


def split_restarts(messages: list[bytes], stream: str) -> list[list[bytes]]:
    """Splits one file's delivered lines where its seq goes back (a restart at offset 0)."""
    runs: list[list[bytes]] = [[]]
    last = -1
    for m in messages:
        mm = e.ID_RE.match(m)
        if mm and mm.group(1).decode() == stream:
            seq = int(mm.group(3))
            if seq <= last:
                runs.append([])
            last = seq
        runs[-1].append(m)
    return runs


def case_truncation(ctx: e.Context, rows: Rows) -> None:
    logs = ctx.mkdir("trunc", "logs")
    live = Live(ctx, "trunc", [os.path.join(logs, "*.log")], workers=2)
    live.start()

    # 2a. Copy-truncate every 1,000 lines; the writer goes on at once after the truncation.
    ct = e.StreamWriter(logs, "ct", seed=21)
    rounds = 15
    t0 = time.monotonic()
    waited = 0.0
    for _ in range(rounds):
        for _ in range(10):
            ct.write(100)

        def caught_up() -> None:
            nonlocal waited
            waited = max(waited, live.wait_all({"ct": ct.seq}, timeout=20))

        ct.copy_truncate(before_truncate=caught_up)
        ct.write(100)  # at once: the file may regrow past the old offset before the agent looks
    ct.write(500)
    live.wait_all({"ct": ct.seq}, timeout=20)
    truncations = live.metric("logagent_input_truncations_total")
    e.log(f"[copy-truncate] {rounds} copy-truncates in {time.monotonic() - t0:.1f} s (longest "
          f"catch-up before a truncation {waited:.2f} s); logagent_input_truncations_total="
          f"{truncations:.0f}")
    e.check(truncations == rounds,
            f"copy-truncate: logagent_input_truncations_total={truncations:.0f}, want {rounds}")

    # 2b. Truncation to a non-zero size, on a line boundary: past the fingerprint (N > 1 KiB),
    # then inside it (N < 1 KiB).
    tn = e.StreamWriter(logs, "tn", seed=22)
    tn.write(2000)
    live.wait_all({"tn": tn.seq})
    expected = list(range(2000))

    def truncate_to_line(k: int) -> int:
        """Cuts tn.log after its k-th line; returns N and extends `expected` by the kept
        prefix, which the agent reads again."""
        with open(tn.path, "rb") as f:
            kept = f.read(line_ends(tn.path)[k - 1])
        n = len(kept)
        with tn.lock:
            os.truncate(tn.path, n)
        expected.extend(int(m.group(3)) for m in map(e.ID_RE.match, kept.split(b"\n")[:-1]))
        return n

    base = live.metric("logagent_input_truncations_total")
    n1 = truncate_to_line(600)
    e.wait_for(lambda: live.metric("logagent_input_truncations_total") > base, 10,
               "the truncation to a non-zero size is counted", agent=live.agent)
    # Only now new lines: regrowth past the old offset with the first KiB unchanged could not
    # be told from an append.
    start = tn.seq
    tn.write(500)
    expected.extend(range(start, tn.seq))
    live.wait_all({"tn": tn.seq})
    time.sleep(0.3)
    # Inside the fingerprint: the new bytes differ from the old within the first KiB, so even a
    # regrowth past the old offset before the agent looks is a rewrite. No wait.
    k2 = max(i + 1 for i, end in enumerate(line_ends(tn.path)) if end <= 1000)
    n2 = truncate_to_line(k2)
    start = tn.seq
    tn.write(3000)
    expected.extend(range(start, tn.seq))
    e.wait_for(lambda: len(seqs_of(live.refresh(), "tn")) >= len(expected), 20,
               "tn.log: the kept prefixes again and every new line", agent=live.agent)
    time.sleep(0.5)  # anything more would be a wrong duplicate
    truncations = live.metric("logagent_input_truncations_total") - base
    live.stop()

    final = live.final()
    rep = e.compare_by_id({"ct": ct.seq}, [only(final, "ct")], allow_duplicates=False)
    judge(rows, "2 copy-truncate every 1000", rep, f"{rounds} truncations counted")
    got = seqs_of(final, "tn")
    rep2 = e.compare_by_id({"tn": tn.seq}, split_restarts(only(final, "tn"), "tn"),
                           allow_duplicates=True)
    prefix = 600 + k2
    judge(rows, "2 truncate -s N (N>1KiB, N<1KiB)", rep2,
          f"kept prefixes of 600 and {k2} lines read again (N={n1}, {n2})",
          expected_duplicates=prefix)
    if got != expected:
        first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b),
                     min(len(got), len(expected)))
        raise e.TestFailure(f"tn.log: delivered seqs differ from the expected sequence at index "
                            f"{first}: got {got[first:first + 5]} want {expected[first:first + 5]}"
                            f" ({len(got)} vs {len(expected)})")
    e.check(truncations == 2,
            f"truncate -s N: logagent_input_truncations_total rose by {truncations:.0f}, want 2")


# --------------------------------------------------------------------------------------------
# 3. Inode reuse


def agent_holds(agent: e.Agent, path: str) -> bool:
    """Whether the agent has `path` open (its /proc/PID/fd links)."""
    fd_dir = f"/proc/{agent.pid}/fd"
    try:
        for fd in os.listdir(fd_dir):
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == path:
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


def case_inode_reuse(ctx: e.Context, rows: Rows) -> None:
    logs = ctx.mkdir("inode", "logs")
    live = Live(ctx, "inode", [os.path.join(logs, "*.log")], workers=2,
                input_extra={"max_open_files": 1, "idle_close_after": "100ms"})
    # Stopped: "longer" gets new content longer than the saved offset (only the fingerprint
    # tells), "shorter" shorter (the saved offset is past the end).
    # "same" has lines of one length, so 400 new lines are exactly as long as the 400 old ones.
    w = {s: e.StreamWriter(logs, s, seed=30 + i, pad_range=(60, 60) if s == "same" else (20, 160))
         for i, s in enumerate(("longer", "shorter", "same", "grown", "busy"))}
    for s in ("longer", "shorter"):
        w[s].write(500)
    live.start()
    live.wait_all({s: w[s].seq for s in ("longer", "shorter")})
    live.stop()
    reused = 0
    for s, n in (("longer", 800), ("shorter", 100)):
        old = os.stat(w[s].path).st_ino
        w[s].gen += 1

        def rewrite(s=s, n=n) -> None:
            w[s].write(n)

        if new_file_same_inode(w[s].path, old, rewrite):
            reused += 1
        else:
            e.log(f"[inode_reuse] note: {s}.log got another inode (the file system did not reuse "
                  f"{old})")
    if reused == 0:
        e.log("[inode_reuse] SKIP: this file system never handed a freed inode out again "
              "(2,000 attempts); the case is not testable here")
        rows.rows.append(("3 inode reuse", "-", "-", "-", "-", "skipped: no inode reuse"))
        return
    e.log(f"[inode_reuse] {reused} of 2 files created again with their old inode while stopped")
    live.start()
    live.wait_all({s: w[s].seq for s in ("longer", "shorter")})

    # Live, while the file is closed by the open-files budget (max_open_files: 1; "busy" keeps
    # being written so it keeps the descriptor).
    stop = threading.Event()

    def keep_busy() -> None:
        while not stop.is_set():
            w["busy"].write(5)
            time.sleep(0.02)

    busy = threading.Thread(target=keep_busy, daemon=True)
    busy.start()
    try:
        for s, more in (("same", 0), ("grown", 300)):
            w[s].write(400)
            live.wait_all({s: w[s].seq, "busy": 1})
            e.wait_for(lambda: not agent_holds(live.agent, w[s].path), 10,
                       f"{s}.log closed by the open-files budget", agent=live.agent)
            old_ino = os.stat(w[s].path).st_ino
            old_size = os.path.getsize(w[s].path)
            w[s].gen += 1

            def rewrite(s=s, more=more) -> None:
                w[s].write(400 + more)

            # The agent is paused meanwhile, so it sees the new file only in its final state:
            # same path, same inode, new content (for "same", of the same size) -- not the
            # deletion or the empty file first, which would be the easy way to tell.
            live.agent.send_signal(signal.SIGSTOP)
            try:
                same_ino = new_file_same_inode(w[s].path, old_ino, rewrite)
            finally:
                live.agent.send_signal(signal.SIGCONT)
            e.log(f"[inode_reuse] live: {s}.log created again (inode reused: {same_ino}; "
                  f"size {old_size} -> {os.path.getsize(w[s].path)})")
            if more == 0 and same_ino:
                e.check(os.path.getsize(w[s].path) == old_size, "same.log: size differs")
            live.wait_all({s: w[s].seq}, timeout=15)
    finally:
        stop.set()
        busy.join()
    live.wait_all({s: wr.seq for s, wr in w.items()})
    closed = live.metric("logagent_input_files_closed_idle_total")
    live.stop()
    runs = [live.final()]
    written = {s: wr.seq for s, wr in w.items()}
    rep = e.compare_by_id(written, runs, allow_duplicates=False)
    judge(rows, "3 inode reuse (stopped, idle-closed)", rep,
          f"{reused}/2 reused while stopped; {closed:.0f} idle closes")


# --------------------------------------------------------------------------------------------
# 4. Symlinks: a file replaced by a symlink; the Kubernetes layout


def symlink_over(target: str, link: str) -> None:
    """Atomically makes `link` a symlink to `target` (ln -sfn through a rename)."""
    tmp = link + ".tmp-link"
    os.symlink(target, tmp)
    os.rename(tmp, link)


def case_symlinks(ctx: e.Context, rows: Rows) -> None:
    # 4a. Files replaced by symlinks, glob logs/*.log.
    logs = ctx.mkdir("sym", "logs")
    elsewhere = ctx.mkdir("sym", "elsewhere")
    live = Live(ctx, "sym", [os.path.join(logs, "*.log")], workers=2)
    w = {s: e.StreamWriter(logs, s, seed=40 + i)
         for i, s in enumerate(("self", "other", "dup", "shared"))}
    for x in w.values():
        x.write(300)
    live.start()
    live.wait_all({s: x.seq for s, x in w.items()})
    # self.log moved out of the glob and a symlink to it put in its place (mv; ln -s): the same
    # file, followed on from its offset, not read again.
    with w["self"].lock:
        real = os.path.join(elsewhere, "self.real")
        os.rename(w["self"].path, real)
        os.symlink(real, w["self"].path)
        w["self"].path = real  # the writer goes on writing the real file
    # other.log replaced (atomically) by a symlink to another file: the old file is drained,
    # the target read from 0.
    target = os.path.join(elsewhere, "target.log")
    with w["other"].lock:
        w["other"].gen += 1
        w["other"].path = target
    w["other"].write(200)
    symlink_over(target, os.path.join(logs, "other.log"))
    # dup.log replaced by a symlink to shared.log, which the glob matches too: one file, read
    # once.
    symlink_over(w["shared"].path, w["dup"].path)
    for _ in range(5):
        for x in w.values():
            if x.stream != "dup":
                x.write(100)
        time.sleep(0.1)
    written = {s: x.seq for s, x in w.items()}
    live.wait_all(written)
    time.sleep(0.6)  # more than two scans: nothing may be read again
    live.stop()
    rep = e.compare_by_id(written, [live.final()], allow_duplicates=False)
    judge(rows, "4 file replaced by a symlink", rep, "to itself, to another file, to a matched one")

    # 4b. Kubernetes: containers/<pod>_<ns>_<ctr>-<id>.log -> pods/<ns>_<pod>_<uid>/<ctr>/N.log,
    # where pods/ is itself a symlink to another disk (a symlinked directory).
    k8s = ctx.mkdir("k8s")
    containers = ctx.mkdir("k8s", "containers")
    disk = ctx.mkdir("k8s", "disk", "pods")
    pods = os.path.join(k8s, "pods")
    os.symlink(disk, pods)
    kube = Live(ctx, "kube", [os.path.join(containers, "*.log")], workers=2)
    pod_specs = {  # stream: (namespace, pod, uid, container)
        "web": ("prod", "web-7d9f8c6b5-x2x4q", "6f1d2c3a-0001", "nginx"),
        "api": ("prod", "api-5c4b9d7f6-pq8rs", "6f1d2c3a-0002", "app"),
        "job": ("batch", "etl-28391040-kq2mz", "6f1d2c3a-0003", "worker"),
    }
    ids = {s: 0 for s in pod_specs}
    writers = {}

    def container_id(stream: str) -> str:
        return f"{stream}{ids[stream]:02d}" + "c0ffee" * 10

    def link_path(stream: str) -> str:
        ns, pod, _, ctr = pod_specs[stream]
        return os.path.join(containers, f"{pod}_{ns}_{ctr}-{container_id(stream)}.log")

    def log_dir(stream: str) -> str:
        ns, pod, uid, ctr = pod_specs[stream]
        return os.path.join(pods, f"{ns}_{pod}_{uid}", ctr)

    for i, stream in enumerate(pod_specs):
        os.makedirs(log_dir(stream))
        writers[stream] = writer_at(os.path.join(log_dir(stream), "0.log"), stream, seed=50 + i)
        writers[stream].write(50)
        os.symlink(writers[stream].path, link_path(stream))
    kube.start()
    rotated: dict[str, list[str]] = {s: [] for s in pod_specs}
    events = collections.Counter()

    def kubelet_rotate(stream: str) -> None:
        """N.log -> N.log.<timestamp>; the runtime reopens N.log; at most two rotated files
        are kept (the oldest is deleted, maybe before the agent finished it)."""
        x = writers[stream]
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}"
        dst = f"{x.path}.{stamp}"
        x.rotate_rename_to(dst)
        rotated[stream].append(dst)
        while len(rotated[stream]) > 2:
            os.unlink(rotated[stream].pop(0))
        events["rotations"] += 1

    def restart(stream: str, retarget: bool) -> None:
        """The container restarts: the runtime writes <N+1>.log. Retargeted: the same symlink
        now points at it. Otherwise: a symlink for the new container id, the old one removed a
        little later (as the kubelet does when it collects the old container)."""
        x = writers[stream]
        with x.lock:
            n = int(os.path.basename(x.path).split(".")[0]) + 1
            x.path = os.path.join(log_dir(stream), f"{n}.log")
            x.gen += 1
        x.write(10)
        if retarget:
            symlink_over(x.path, link_path(stream))
        else:
            old = link_path(stream)
            ids[stream] += 1
            os.symlink(x.path, link_path(stream))
            threading.Timer(0.3, os.unlink, args=(old,)).start()
        events["restarts"] += 1

    def step() -> None:
        for x in writers.values():
            x.write(20)

    bg = e.Background(step, 0.005).start()
    t0 = time.monotonic()
    try:
        k = 0
        while time.monotonic() - t0 < 4.0:
            time.sleep(0.25)
            k += 1
            for i, stream in enumerate(pod_specs):
                if (k + i) % 2 == 0:
                    kubelet_rotate(stream)
            if k == 5:
                restart("web", retarget=True)
            if k == 8:
                restart("api", retarget=False)
            if k == 11:
                restart("web", retarget=True)
                restart("job", retarget=False)
    finally:
        bg.stop()
    time.sleep(0.4)  # the delayed unlinks of old symlinks
    written = {s: x.seq for s, x in writers.items()}
    waited = kube.wait_all(written)
    e.log(f"[kubernetes] wrote {sum(written.values())} lines; {events['rotations']} rotations in "
          f"pods/, {events['restarts']} container restarts; caught up {waited:.2f} s after")
    time.sleep(0.6)
    abandoned = kube.metric("logagent_input_bytes_abandoned_total")
    kube.stop()
    rep = e.compare_by_id(written, [kube.final()], allow_duplicates=False)
    judge(rows, "4 kubernetes containers -> pods", rep,
          f"{events['rotations']} rotations, {events['restarts']} restarts")
    e.check(abandoned == 0, f"kubernetes: {abandoned:.0f} bytes abandoned")


# --------------------------------------------------------------------------------------------
# 5. Files unreadable at first, then readable (the agent runs unprivileged)


def unprivileged_prefix() -> list[str]:
    return e.as_user(NOBODY)


def case_unreadable(ctx: e.Context, rows: Rows) -> None:
    if os.geteuid() != 0:
        e.log("[unreadable] SKIP: not running as root (cannot make the agent unprivileged)")
        rows.rows.append(("5 unreadable then readable", "-", "-", "-", "-", "skipped: not root"))
        return
    prefix = unprivileged_prefix()
    os.chmod(ctx.dir, 0o755)  # mkdtemp made it 0700
    # The binary must be executable by uid 65534 (a build tree under a private home may not
    # be): if it is not, a copy in the test directory is.
    probe = subprocess.run(prefix + [ctx.logagent, "--version"], capture_output=True)
    if probe.returncode != 0:
        copy = ctx.path("logagent")
        shutil.copy2(ctx.logagent, copy)
        os.chmod(copy, 0o755)
        ctx.logagent = copy
        e.log(f"[unreadable] the agent binary is run from a copy ({probe.stderr[:100]!r})")
    base = ctx.mkdir("unread")
    logs = ctx.mkdir("unread", "logs")
    locked = ctx.mkdir("unread", "logs", "locked")
    live = Live(ctx, "unread", [os.path.join(logs, "*.log"), os.path.join(locked, "*.log")],
                prefix=prefix, dirs_owner=NOBODY)
    os.chmod(base, 0o755)
    w = {"open": e.StreamWriter(logs, "open", seed=60),
         "secret": e.StreamWriter(logs, "secret", seed=61),
         "inner": e.StreamWriter(locked, "inner", seed=62)}
    for x in w.values():
        x.write(200)
    os.chmod(w["secret"].path, 0o600)  # root-owned, 0600
    os.chmod(locked, 0o700)            # root-owned directory, not searchable by the agent
    e.check(os.stat(w["secret"].path).st_uid == 0, "secret.log is not root's")
    live.start()
    with open(f"/proc/{live.agent.pid}/status") as f:
        uids = next(l.split()[1:] for l in f if l.startswith("Uid:"))
    e.check(set(uids) == {str(NOBODY)}, f"the agent runs with uids {uids}, want {NOBODY}")
    live.wait_all({"open": w["open"].seq})
    e.wait_for(lambda: live.metric("logagent_input_open_errors_total") >= 3, 10,
               "the open error counted, and again at later scans", agent=live.agent)
    errors_before = live.metric("logagent_input_open_errors_total")
    for x in w.values():
        x.write(100)  # more lines while unreadable
    time.sleep(0.6)
    ids = live.ids()
    e.check(not ids.get("secret") and not ids.get("inner"),
            "lines of an unreadable file were delivered")
    warnings = live.agent.stderr_bytes().count(b"cannot open " + w["secret"].path.encode())
    e.check(warnings == 1, f"the open error of secret.log was logged {warnings} times, want once")
    os.chmod(w["secret"].path, 0o644)
    os.chmod(locked, 0o755)
    t0 = time.monotonic()
    live.wait_all({s: x.seq for s, x in w.items()}, timeout=15)
    e.log(f"[unreadable] open errors counted: {errors_before:.0f} (logged once); all lines "
          f"{time.monotonic() - t0:.2f} s after chmod")
    for x in w.values():
        x.write(100)
    written = {s: x.seq for s, x in w.items()}
    live.wait_all(written)
    live.stop()
    rep = e.compare_by_id(written, [live.final()], allow_duplicates=False)
    judge(rows, "5 unreadable then readable (uid 65534)", rep,
          f"{errors_before:.0f} open errors counted")


# --------------------------------------------------------------------------------------------
# 6. A directory that appears after start


def case_late_dir(ctx: e.Context, rows: Rows) -> None:
    root = ctx.mkdir("late")
    x = os.path.join(root, "x")  # does not exist yet
    live = Live(ctx, "late", [os.path.join(x, "*", "app", "*.log")],
                input_extra={"scan_interval": "1s"})
    live.start()
    writers: dict[str, e.StreamWriter] = {}

    def add(svc: str, name: str, n: int, seed: int) -> e.StreamWriter:
        d = os.path.join(x, svc, "app")
        os.makedirs(d, exist_ok=True)
        wr = e.StreamWriter(d, name, seed=seed)
        wr.write(n)
        writers[name] = wr
        return wr

    time.sleep(0.3)
    t0 = time.monotonic()
    add("svc1", "s1a", 300, 70)  # x, x/svc1 and x/svc1/app all new
    live.wait_all({"s1a": 300}, timeout=10)
    found1 = time.monotonic() - t0
    t0 = time.monotonic()
    add("svc2", "s2a", 300, 71)  # x exists, svc2 new
    live.wait_all({"s2a": 300}, timeout=10)
    found2 = time.monotonic() - t0
    # A new file in a directory already known: inotify, well before the next scan.
    t0 = time.monotonic()
    add("svc1", "s1b", 100, 72)
    live.wait_all({"s1b": 100}, timeout=10)
    found3 = time.monotonic() - t0
    for wr in writers.values():
        wr.write(100)
    live.wait_all({s: wr.seq for s, wr in writers.items()})
    # A directory removed (its files delivered) and created again with a new file.
    shutil.rmtree(os.path.join(x, "svc2"))
    time.sleep(0.6)
    t0 = time.monotonic()
    again = add("svc2", "s2b", 200, 73)
    live.wait_all({"s2b": 200}, timeout=10)
    found4 = time.monotonic() - t0
    again.write(50)
    written = {s: wr.seq for s, wr in writers.items()}
    live.wait_all(written)
    live.stop()
    e.log(f"[late_dir] picked up after {found1:.2f} s (x/svc1/app new), {found2:.2f} s "
          f"(x/svc2/app new), {found3:.2f} s (new file in a known dir), {found4:.2f} s "
          "(directory created again); scan_interval 1s")
    e.check(found3 < 0.8, f"a new file in a watched directory took {found3:.2f} s (inotify "
                           "should see it before the next scan)")
    rep = e.compare_by_id(written, [live.final()], allow_duplicates=False)
    judge(rows, "6 directory created after start", rep,
          f"found in {max(found1, found2, found4):.2f} s max")


# --------------------------------------------------------------------------------------------
# 7. 10,000 files in one glob


class FdSampler:
    """Samples the number of open descriptors of a process (/proc/PID/fd) until it exits."""

    def __init__(self, pid: int, period: float = 0.02):
        self.pid = pid
        self.period = period
        self.peak = 0
        self.samples = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                n = len(os.listdir(f"/proc/{self.pid}/fd"))
            except OSError:
                return
            self.peak = max(self.peak, n)
            self.samples += 1
            time.sleep(self.period)

    def stop(self) -> int:
        self.stop_flag.set()
        self.thread.join()
        return self.peak


def case_many_files(ctx: e.Context, rows: Rows) -> None:
    nfiles = 10_000
    budget = 1024  # the default max_open_files, named explicitly
    slack = 64     # descriptors that are not input files: sockets, pipes, inotify, sinks...
    logs = ctx.mkdir("many", "logs")
    t0 = time.monotonic()
    counts = {}
    for i in range(nfiles):
        name = f"m{i:05d}"
        path = os.path.join(logs, f"{name}.log")
        n = i % 7 + 1
        with open(path, "wb") as f:
            f.write(b"".join(e.id_line(name, 0, k, 20 + (i + k) % 60) + b"\n" for k in range(n)))
        counts[name] = n
    e.log(f"[many_files] wrote {nfiles} files, {sum(counts.values())} lines in "
          f"{time.monotonic() - t0:.1f} s")

    # --once
    out = ctx.path("many", "once", "out.ndjson")
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], workers=2,
                        data_dir=ctx.path("many", "once", "data"),
                        sinks=[e.file_sink(out, "json")],
                        input_extra={"max_open_files": budget},
                        file_name=os.path.join("many", "once.yaml"))
    a = ctx.agent(cfg, once=True, label="many-once")
    a.start(track_memory=True)
    fds = FdSampler(a.pid)
    rc = a.wait(120)
    peak_fds = fds.stop()
    e.check(rc == 0, f"many_files --once: exit {rc}")
    s = a.summary()
    rss = a.peak_rss_bytes()
    e.log(f"[many_files --once] {s['lines']} lines in {s['seconds']:.2f} s; peak RSS "
          f"{rss / 2**20:.1f} MiB; peak open descriptors {peak_fds} (max_open_files {budget})")
    msgs = [ev["message"].encode() for ev in e.read_json_output(out)]
    rep = e.compare_by_id(counts, [msgs], allow_duplicates=False)
    judge(rows, "7 10000 files --once", rep,
          f"{s['seconds']:.1f} s, RSS {rss / 2**20:.0f} MiB, {peak_fds} fds")
    e.check(peak_fds <= budget + slack,
            f"--once: {peak_fds} descriptors open at peak, budget {budget} (+{slack})")
    e.check(rss <= RSS_LIMIT, f"--once: peak RSS {rss / 2**20:.0f} MiB over "
                              f"{RSS_LIMIT / 2**20:.0f} MiB")
    e.check(s["lines"] == sum(counts.values()) and s["seconds"] < 30,
            f"--once summary {s}: want {sum(counts.values())} lines in under 30 s")

    # Live: the same files from the start, then a line appended to every one of them and 500
    # new files while running.
    live = Live(ctx, "many-live", [os.path.join(logs, "*.log")], workers=2,
                input_extra={"max_open_files": budget, "idle_close_after": "1s",
                             "scan_interval": "1s"})
    live.start(track_memory=True)
    fds = FdSampler(live.agent.pid)
    t0 = time.monotonic()
    live.wait_all(counts, timeout=60)
    first = time.monotonic() - t0
    for i in range(nfiles):
        name = f"m{i:05d}"
        with open(os.path.join(logs, f"{name}.log"), "ab") as f:
            f.write(e.id_line(name, 0, counts[name], 30) + b"\n")
        counts[name] += 1
    for i in range(nfiles, nfiles + 500):
        name = f"m{i:05d}"
        with open(os.path.join(logs, f"{name}.log"), "wb") as f:
            f.write(b"".join(e.id_line(name, 0, k, 40) + b"\n" for k in range(3)))
        counts[name] = 3
    t1 = time.monotonic()
    live.wait_all(counts, timeout=60)
    second = time.monotonic() - t1
    open_now = live.metric("logagent_files_open")
    watched = live.metric("logagent_input_files_watched")
    live.stop()
    peak_fds = fds.stop()
    rss = live.agent.peak_rss_bytes()
    e.log(f"[many_files live] existing lines in {first:.2f} s; appends and 500 new files in "
          f"{second:.2f} s; files watched {watched:.0f}, open {open_now:.0f}; peak open "
          f"descriptors {peak_fds}; peak RSS {rss / 2**20:.1f} MiB")
    rep = e.compare_by_id(counts, [live.final()], allow_duplicates=False)
    judge(rows, "7 10500 files live", rep,
          f"RSS {rss / 2**20:.0f} MiB, {peak_fds} fds")
    e.check(peak_fds <= budget + slack,
            f"live: {peak_fds} descriptors open at peak, budget {budget} (+{slack})")
    e.check(rss <= RSS_LIMIT, f"live: peak RSS {rss / 2**20:.0f} MiB over "
                              f"{RSS_LIMIT / 2**20:.0f} MiB")


# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# 8. Rotation while the agent is stopped


def case_stall_rotation(ctx: e.Context, rows: Rows) -> None:
    logs = ctx.mkdir("stall", "logs")
    live = Live(ctx, "stall", [os.path.join(logs, "*.log")], workers=2,
                input_extra={"scan_interval": "10s"})  # only inotify's history can tell
    a = e.StreamWriter(logs, "a", seed=81)
    g = e.StreamWriter(logs, "g", seed=82)
    live.start()
    a.write(10_000)
    live.wait_all({"a": a.seq})
    live.agent.pause()
    try:
        for _ in range(6):
            a.rotate_rename(keep=10)
            a.write(10_000)
        g.write(1_000)                       # generation 0: never seen by the agent
        g.rotate_rename(keep=3)
        g.write(1_000)
        os.unlink(g.path + ".1")             # deleted before the agent could open it
        g.rotate_rename(keep=3)              # generation 1 now g.log.1, out of the glob
        g.write(1_000)                       # generation 2
    finally:
        live.agent.resume()
    gone = set(range(0, 1_000))
    written = {"a": a.seq, "g": g.seq}
    e.wait_for(lambda: len(live.ids().get("a", ())) >= a.seq and
               set(range(1_000, g.seq)) <= live.ids().get("g", set()), 30,
               "stall: every line still on disk delivered", interval=0.05, agent=live.agent)
    e.wait_for(lambda: live.metric("logagent_input_files_lost_total", reason="deleted") >= 1, 10,
               "stall: the deleted generation counted", agent=live.agent)
    lost = live.metric("logagent_input_files_lost_total")
    live.stop()
    rep = e.compare_by_id(written, [live.final()], allow_duplicates=False)
    want_missing = sorted(f"stream=g seq={s}" for s in gone)
    note = f"6 rotations while stopped; lost counted {lost:.0f} (want 1)"
    rep.print("8 stall_rotation")
    rows.add("8 rotation while stopped (SIGSTOP)", rep, note)
    e.check(sorted(rep.missing) == want_missing,
            f"stall: {len(rep.missing)} missing, want exactly the 1,000 lines of the deleted "
            f"generation; first: {rep.missing[:3]}")
    rep.missing = []
    rep.assert_ok("stall", allow_duplicates=False)
    e.check(lost == 1, f"stall: logagent_input_files_lost_total = {lost:.0f}, want 1")
    stderr = open(live.agent.stderr_path, "rb").read()
    e.check(b"g.log.1 (created as " in stderr and b"was deleted before it could be opened" in stderr,
            "stall: the lost file is logged with its name")


CASES = [
    ("rotation_rate", case_rotation_rate),
    ("truncation", case_truncation),
    ("inode_reuse", case_inode_reuse),
    ("symlinks", case_symlinks),
    ("unreadable", case_unreadable),
    ("late_dir", case_late_dir),
    ("many_files", case_many_files),
    ("stall_rotation", case_stall_rotation),
]


def body(ctx: e.Context) -> None:
    only = os.environ.get("LOGAGENT_FAULT_CASES")
    chosen = [(i + 1, n, f) for i, (n, f) in enumerate(CASES)
              if not only or str(i + 1) in only.split(",") or n in only.split(",")]
    rows = Rows()
    failures = []
    for number, name, fn in chosen:
        e.log(f"=== case {number}: {name}")
        t0 = time.monotonic()
        try:
            fn(ctx, rows)
            e.log(f"=== case {number}: {name} passed ({time.monotonic() - t0:.1f} s)")
        except e.TestFailure as err:
            e.log(f"=== case {number}: {name} FAILED ({time.monotonic() - t0:.1f} s): {err}")
            failures.append(f"{name}: {err}")
        finally:
            for a in ctx.agents:
                a.kill_if_running()
    rows.print()
    e.check(not failures, f"{len(failures)} case(s) failed: " + " || ".join(failures))


if __name__ == "__main__":
    e.main("fault_files", body)
