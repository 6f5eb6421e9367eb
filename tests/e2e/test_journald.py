#!/usr/bin/env python3
"""The journald input on real journal files, through the real binary and a json file sink.

The journal files are made here: systemd-journal-remote turns an export-format stream this test
writes (see systemd.journal-export-formats(7)) into DIR/*.journal.

1. --once over a directory of journal files: every entry comes out once, in journal order, with
   MESSAGE as the message, PRIORITY, _PID, _SYSTEMD_UNIT and _HOSTNAME as priority, pid, unit and
   hostname, and __REALTIME_TIMESTAMP as the event's time (a message with a newline and UTF-8
   included); the checkpoint holds the cursor.
2. Entries appended, --once again: it resumes at the cursor -- exactly the new entries, none lost,
   none twice.
3. matches and priority: only the entries of one unit at err or above.
4. Following: entries appended while the agent runs come out; SIGTERM, more entries while it is
   down, a restart: all of them, once each.
5. read_from: tail: none of the entries there before the start; of those written while it runs,
   a contiguous run to the last one (where exactly it starts depends on when the agent looked).
6. Vacuum while down: the file holding the saved cursor gets more entries, then is deleted (as
   `journalctl --vacuum-*` does) and a newer file holds later entries. The restarted agent counts
   the loss (logagent_input_files_lost_total{reason="vacuumed"} = 1), logs it, and reads the newer
   file from its oldest entry; the entries that were only in the deleted file are the loss.
7. read_from: tail, kill -9 before the first acknowledgement (a Kafka sink with no broker behind
   it: nothing is ever acknowledged), entries written while down, a restart (a file sink): it
   resumes where the first start began -- every entry written after the first start comes out,
   none from before it.
8. Vacuum while down, then kill -9 before the first acknowledgement after it (the same sink that
   never acknowledges), then a restart: the loss is not counted again, and the newer file's
   entries come out from its oldest.
"""

import datetime
import glob
import json
import os
import struct
import subprocess
import time

import e2e_lib as e

JOURNAL_REMOTE = "/usr/lib/systemd/systemd-journal-remote"
BOOT_ID = "0123456789abcdef0123456789abcdef"
BASE_USEC = 1_764_979_200_000_000  # 2025-12-06T00:00:00Z


class Entry:
    """One journal entry as the test writes it and expects it back."""

    def __init__(self, seq: int, message: str, priority: int | None = None,
                 unit: str | None = None, pid: int | None = None, hostname: str | None = "h1"):
        self.seq = seq
        self.message = message
        self.priority = priority
        self.unit = unit
        self.pid = pid
        self.hostname = hostname
        self.usec = BASE_USEC + seq * 1000

    def export(self) -> bytes:
        fields = [("__REALTIME_TIMESTAMP", str(self.usec)),
                  ("__MONOTONIC_TIMESTAMP", str(self.seq + 1)),
                  ("_BOOT_ID", BOOT_ID),
                  ("MESSAGE", self.message)]
        if self.priority is not None:
            fields.append(("PRIORITY", str(self.priority)))
        if self.unit is not None:
            fields.append(("_SYSTEMD_UNIT", self.unit))
        if self.pid is not None:
            fields.append(("_PID", str(self.pid)))
        if self.hostname is not None:
            fields.append(("_HOSTNAME", self.hostname))
        out = b""
        for k, v in fields:
            data = v.encode("utf-8")
            if b"\n" in data:  # the binary form: name, newline, 64-bit LE length, data
                out += k.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
            else:
                out += k.encode() + b"=" + data + b"\n"
        return out + b"\n"


def make_entries(first: int, count: int, tag: str) -> list[Entry]:
    out = []
    for seq in range(first, first + count):
        msg = f"{tag} entry {seq}"
        if seq % 97 == 5:
            msg += " first line\nsecond line é ✓"
        if seq % 97 == 11:  # over 512 bytes: stored compressed
            msg += " " + "".join(f"{i:04d}" for i in range(1000))
        unit = None if seq % 5 == 0 else f"svc{seq % 3}.service"
        pid = None if seq % 7 == 0 else 1000 + seq % 50
        out.append(Entry(seq, msg, priority=seq % 8, unit=unit, pid=pid))
    return out


def write_journal(path: str, entries: list[Entry]) -> None:
    """Appends `entries` to the journal file `path` (created if missing)."""
    stream = b"".join(en.export() for en in entries)
    r = subprocess.run([JOURNAL_REMOTE, "-o", path, "-"], input=stream, capture_output=True,
                       timeout=60)
    e.check(r.returncode == 0, f"systemd-journal-remote failed ({r.returncode}): "
                               f"{r.stderr.decode(errors='replace')}")


def read_output(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")[:-1]  # not a last line still being written
    return [json.loads(l) for l in lines if l]


def rfc3339_us(usec: int) -> str:
    t = datetime.datetime.fromtimestamp(usec / 1e6, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{usec % 1_000_000:06d}Z"


def check_events(events: list[dict], expected: list[Entry], what: str) -> None:
    got = [ev["message"] for ev in events]
    want = [en.message for en in expected]
    if got != want:
        missing = set(want) - set(got)
        dups = len(got) - len(set(got))
        e.check(False, f"{what}: {len(got)} events, {len(want)} expected; {len(missing)} missing "
                       f"(e.g. {sorted(missing)[:3]}), {dups} duplicated; first difference at "
                       f"{next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)}")
    for ev, en in zip(events, expected):
        e.check(ev.get("priority") == en.priority, f"{what}: priority of {en.seq}: {ev}")
        e.check(ev.get("unit") == en.unit, f"{what}: unit of {en.seq}: {ev}")
        e.check(ev.get("pid") == en.pid, f"{what}: pid of {en.seq}: {ev}")
        e.check(ev.get("hostname") == en.hostname, f"{what}: hostname of {en.seq}: {ev}")
        e.check(ev["time"] == rfc3339_us(en.usec), f"{what}: time of {en.seq}: {ev['time']}, "
                                                  f"expected {rfc3339_us(en.usec)}")


def config(ctx: e.Context, name: str, journal_dir: str, out: str, metrics_port: int = 0,
           extra: dict | None = None, sinks: list[dict] | None = None) -> str:
    inp = {"type": "journald", "directory": journal_dir}
    if extra:
        inp.update(extra)
    cfg = {
        "data_dir": ctx.path(f"data-{name}"),
        "metrics": {"listen": f"127.0.0.1:{metrics_port}" if metrics_port else ""},
        "checkpoint_interval": "200ms",
        "shutdown_timeout": "10s",
        "pipelines": [{"name": name, "input": inp, "sinks": sinks or [e.file_sink(out)]}],
    }
    return e.write_config(ctx.path(f"{name}.yaml"), cfg)


def once_and_resume(ctx: e.Context) -> None:
    jdir = ctx.mkdir("journal-once")
    out = ctx.path("once.ndjson")
    first = make_entries(0, 500, "a")
    write_journal(os.path.join(jdir, "system.journal"), first)
    cfg = config(ctx, "once", jdir, out)
    ctx.run_once(cfg, label="once-1")
    check_events(read_output(out), first, "first --once")
    ckpts = glob.glob(ctx.path("data-once", "*.checkpoint"))
    e.check(len(ckpts) == 1, f"one checkpoint file expected in data-once: {ckpts}")
    with open(ckpts[0], encoding="utf-8") as f:
        text = f.read()
    e.check(text.startswith("logagent-checkpoint 3\n") and " s=" in text,
            f"the checkpoint holds no cursor: {text!r}")
    e.log(f"[once] {len(first)} entries in order with fields mapped; the checkpoint holds the "
          "cursor")

    more = make_entries(500, 300, "a")
    write_journal(os.path.join(jdir, "system.journal"), more)
    ctx.run_once(cfg, label="once-2")
    check_events(read_output(out), first + more, "second --once")
    e.log(f"[once] restart resumed at the cursor: {len(more)} new entries, no loss, no duplicate")

    ctx.run_once(cfg, label="once-3")  # nothing new: nothing written
    e.check(len(read_output(out)) == len(first) + len(more), "a third --once wrote entries again")


def matches_and_priority(ctx: e.Context) -> None:
    jdir = ctx.mkdir("journal-match")
    out = ctx.path("match.ndjson")
    entries = make_entries(0, 400, "m")
    write_journal(os.path.join(jdir, "system.journal"), entries)
    cfg = config(ctx, "match", jdir, out,
                 extra={"matches": ["_SYSTEMD_UNIT=svc1.service"], "priority": "err"})
    ctx.run_once(cfg, label="match")
    want = [en for en in entries
            if en.unit == "svc1.service" and en.priority is not None and en.priority <= 3]
    e.check(len(want) > 10, "the sample has too few matching entries")
    check_events(read_output(out), want, "matches + priority")
    e.log(f"[match] {len(want)} of {len(entries)} entries: unit svc1.service at err or above")


def follow_and_restart(ctx: e.Context) -> None:
    jdir = ctx.mkdir("journal-live")
    out = ctx.path("live.ndjson")
    path = os.path.join(jdir, "system.journal")
    entries = make_entries(0, 200, "l")
    write_journal(path, entries)
    port = e.free_port()
    cfg = config(ctx, "live", jdir, out, metrics_port=port)
    agent = ctx.agent(cfg, label="live-1").start()
    e.wait_for(lambda: len(read_output(out)) >= 200, 60, "the first 200 entries", agent=agent)
    added = make_entries(200, 150, "l")
    write_journal(path, added)
    entries += added
    e.wait_for(lambda: len(read_output(out)) >= len(entries), 60,
               "entries appended while the agent runs", agent=agent)
    e.check(agent.stop() == 0, "live-1 did not exit 0 on SIGTERM")
    down = make_entries(350, 150, "l")
    write_journal(path, down)
    entries += down
    agent = ctx.agent(cfg, label="live-2").start()
    e.wait_for(lambda: len(read_output(out)) >= len(entries), 60,
               "entries written while the agent was down", agent=agent)
    e.check(agent.stop() == 0, "live-2 did not exit 0 on SIGTERM")
    check_events(read_output(out), entries, "follow + restart")
    e.log(f"[live] {len(entries)} entries across a restart, in order, none lost or twice")


def read_from_tail(ctx: e.Context) -> None:
    jdir = ctx.mkdir("journal-tail")
    out = ctx.path("tail.ndjson")
    path = os.path.join(jdir, "system.journal")
    before = make_entries(0, 100, "t")
    write_journal(path, before)
    cfg = config(ctx, "tail", jdir, out, extra={"read_from": "tail"})
    agent = ctx.agent(cfg, label="tail").start()
    written = list(before)
    # Entries keep coming until the agent shows one: it has found the tail by then.
    while not read_output(out):
        e.check(len(written) < 100 + 200 * 20, "no entry written after the start came out")
        more = make_entries(len(written), 20, "t")
        write_journal(path, more)
        written += more
        time.sleep(0.2)
    e.wait_for(lambda: read_output(out)[-1]["message"] == written[-1].message, 60,
               "the last entry written", agent=agent)
    e.check(agent.stop() == 0, "tail did not exit 0 on SIGTERM")
    events = read_output(out)
    first = next(i for i, en in enumerate(written) if en.message == events[0]["message"])
    e.check(first >= len(before), f"read_from tail read an entry from before the start: {first}")
    check_events(events, written[first:], "read_from tail")
    e.log(f"[tail] none of the {len(before)} entries before the start; entries {first}.."
          f"{len(written) - 1} written while it ran, in order")


def vacuum_while_down(ctx: e.Context) -> None:
    jdir = ctx.mkdir("journal-vacuum")
    out = ctx.path("vacuum.ndjson")
    old = os.path.join(jdir, "old.journal")
    read = make_entries(0, 100, "v")
    write_journal(old, read)
    cfg_once = config(ctx, "vacuum", jdir, out)
    ctx.run_once(cfg_once, label="vacuum-1")
    check_events(read_output(out), read, "before the vacuum")
    # While the agent is down: more entries in the old file, then a newer file, then the old
    # file is deleted.
    unread = make_entries(100, 50, "v")
    write_journal(old, unread)
    newer = make_entries(150, 80, "v")
    write_journal(os.path.join(jdir, "new.journal"), newer)
    os.unlink(old)
    port = e.free_port()
    cfg = config(ctx, "vacuum", jdir, out, metrics_port=port)
    agent = ctx.agent(cfg, label="vacuum-2").start()
    e.wait_for(lambda: len(read_output(out)) >= len(read) + len(newer), 60,
               "the newer file's entries", agent=agent)

    def lost() -> float:
        m = e.try_scrape(port)
        v = m.get("logagent_input_files_lost_total", pipeline="vacuum", reason="vacuumed") \
            if m else None
        return v or 0.0

    e.wait_for(lambda: lost() >= 1, 30, "files_lost_total{reason=vacuumed} to count the loss",
               agent=agent)
    e.check(lost() == 1, f"the loss was counted {lost()} times, once expected")
    e.check(agent.stop() == 0, "vacuum-2 did not exit 0 on SIGTERM")
    e.check(b"no longer holds the entry at the saved cursor" in agent.stderr_bytes(),
            "the loss was not logged")
    check_events(read_output(out), read + newer, "after the vacuum")
    e.log(f"[vacuum] the saved cursor's file deleted while down: counted once, logged; "
          f"{len(newer)} entries of the newer file read from its oldest; the {len(unread)} "
          f"entries only in the deleted file are the loss")


def never_acknowledging_sink() -> dict:
    """A Kafka sink with nothing listening on its broker port: it retries and never acknowledges."""
    return {"type": "kafka", "brokers": [f"127.0.0.1:{e.free_port()}"], "topic": "nowhere",
            "format": "json"}


def metric(port: int, name: str, **labels: str) -> float:
    m = e.try_scrape(port)
    v = m.get(name, **labels) if m else None
    return v or 0.0


def tail_kill_before_ack(ctx: e.Context) -> None:
    jdir = ctx.mkdir("journal-tailkill")
    out = ctx.path("tailkill.ndjson")
    path = os.path.join(jdir, "system.journal")
    before = make_entries(0, 100, "k")
    write_journal(path, before)
    port = e.free_port()
    cfg = config(ctx, "tailkill", jdir, out, metrics_port=port, extra={"read_from": "tail"},
                 sinks=[never_acknowledging_sink()])
    agent = ctx.agent(cfg, label="tailkill-1").start()
    written = list(before)
    # Entries keep coming until the agent has read one: it had found the tail before the last
    # of them.
    while metric(port, "logagent_input_lines_total", pipeline="tailkill") == 0:
        e.check(len(written) < 100 + 200 * 20, "no entry written after the start was read")
        e.check(agent.running(), "tailkill-1 exited")
        more = make_entries(len(written), 20, "k")
        write_journal(path, more)
        written += more
        time.sleep(0.2)
    seen_by = len(written)  # the first start is before entry seen_by - 1
    acked = metric(port, "logagent_sink_events_total", pipeline="tailkill", result="ok")
    e.check(acked == 0, f"{acked} events acknowledged by a sink with no broker")
    agent.kill9()
    down = make_entries(len(written), 50, "k")
    write_journal(path, down)
    written += down
    cfg = config(ctx, "tailkill", jdir, out, extra={"read_from": "tail"})
    agent = ctx.agent(cfg, label="tailkill-2").start()
    e.wait_for(lambda: bool(read_output(out)) and
               read_output(out)[-1]["message"] == written[-1].message, 60,
               "the entries written since the first start (skipped if the restart began at the "
               "tail again)", agent=agent)
    e.check(agent.stop() == 0, "tailkill-2 did not exit 0 on SIGTERM")
    events = read_output(out)
    first = next(i for i, en in enumerate(written) if en.message == events[0]["message"])
    e.check(len(before) <= first < seen_by,
            f"the restart began at entry {first}; the first start was in {len(before)}.."
            f"{seen_by - 1}")
    check_events(events, written[first:], "read_from tail, kill -9 before the first ack")
    e.log(f"[tailkill] kill -9 before any ack, {len(down)} entries written while down: the "
          f"restart resumed at the first start (entry {first}); {len(events)} entries, in order, "
          "none lost or twice")


def vacuum_then_kill_before_ack(ctx: e.Context) -> None:
    jdir = ctx.mkdir("journal-vackill")
    out = ctx.path("vackill.ndjson")
    old = os.path.join(jdir, "old.journal")
    read = make_entries(0, 100, "w")
    write_journal(old, read)
    ctx.run_once(config(ctx, "vackill", jdir, out), label="vackill-1")
    check_events(read_output(out), read, "before the vacuum")
    write_journal(old, make_entries(100, 50, "w"))
    newer = make_entries(150, 80, "w")
    write_journal(os.path.join(jdir, "new.journal"), newer)
    os.unlink(old)
    port = e.free_port()
    cfg = config(ctx, "vackill", jdir, out, metrics_port=port,
                 sinks=[never_acknowledging_sink()])
    agent = ctx.agent(cfg, label="vackill-2").start()
    labels = {"pipeline": "vackill"}
    e.wait_for(lambda: metric(port, "logagent_input_files_lost_total", reason="vacuumed",
                              **labels) >= 1 and
               metric(port, "logagent_input_lines_total", **labels) >= len(newer), 60,
               "the loss counted and the newer file read", agent=agent)
    acked = metric(port, "logagent_sink_events_total", result="ok", **labels)
    e.check(acked == 0, f"{acked} events acknowledged by a sink with no broker")
    agent.kill9()
    port = e.free_port()
    agent = ctx.agent(config(ctx, "vackill", jdir, out, metrics_port=port),
                      label="vackill-3").start()
    e.wait_for(lambda: len(read_output(out)) >= len(read) + len(newer), 60,
               "the newer file's entries", agent=agent)
    lost = metric(port, "logagent_input_files_lost_total", reason="vacuumed", **labels)
    e.check(lost == 0, f"the restart counted the loss again ({lost})")
    e.check(agent.stop() == 0, "vackill-3 did not exit 0 on SIGTERM")
    check_events(read_output(out), read + newer, "after the vacuum and kill -9")
    e.log("[vackill] vacuum while down, kill -9 before the first ack after it, restart: the loss "
          f"counted once; {len(newer)} entries of the newer file from its oldest")


def body(ctx: e.Context) -> None:
    if not os.access(JOURNAL_REMOTE, os.X_OK):
        e.log(f"SKIP journald: {JOURNAL_REMOTE} is missing (Debian package "
              "systemd-journal-remote; packaging/bootstrap.sh installs it)")
        return
    once_and_resume(ctx)
    matches_and_priority(ctx)
    follow_and_restart(ctx)
    read_from_tail(ctx)
    vacuum_while_down(ctx)
    tail_kill_before_ack(ctx)
    vacuum_then_kill_before_ack(ctx)


if __name__ == "__main__":
    e.main("journald", body)
