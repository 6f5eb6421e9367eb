#!/usr/bin/env python3
"""Live mode with rotation while writing. Streams:
  a: rename rotation, logrotate style (a.log -> a.log.1 -> a.log.2 -> a.log.3, the oldest
     overwritten) every ~1.2 s, plus one burst of five rotations 100 ms apart; the glob matches
     only *.log, so rotated files must be read to their end through the descriptor the agent
     holds;
  b: copy-truncate (cp b.log b.log.ct; truncate -s0 b.log) every ~2 s; copy-truncate loses
     whatever was not read before the truncation, so the writer waits until the agent has
     delivered all of b first; after it, a new line is not written before the agent has counted
     the truncation (logagent_input_truncations_total), else the file could regrow past the old
     offset unnoticed;
  c: steady, never rotated;
  d: created while the agent runs.
Lines carry "stream=X gen=G seq=N": all seqs must be delivered, in order per physical file
(stream, gen), none twice. Then SIGTERM must exit 0."""

import os
import threading
import time

import e2e_lib as e

WRITE_SECONDS = 10.0


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    port = e.free_port()
    out = ctx.path("out", "live.ndjson")
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], workers=2, metrics_port=port,
                        sinks=[e.file_sink(out, "json")],
                        input_extra={"scan_interval": "200ms"})
    writers = {s: e.StreamWriter(logs, s, seed=i + 1) for i, s in enumerate("abc")}
    for w in writers.values():
        w.write(100)  # present at start-up

    agent = ctx.agent(cfg, label="live").start()
    e.wait_for(lambda: e.try_scrape(port) is not None, 10, "metrics endpoint up", agent=agent)

    follower = e.OutputFollower(out)
    delivered: list[bytes] = []
    delivered_lock = threading.Lock()

    def refresh() -> dict:
        with delivered_lock:
            for line in follower.read_new():
                delivered.append(e.parse_json_line(line, "live.ndjson")["message"].encode(
                    "utf-8", "surrogateescape"))
            return e.delivered_ids(delivered)

    def caught_up(w: e.StreamWriter) -> bool:
        return len(refresh().get(w.stream, ())) >= w.seq

    def truncations() -> float:
        m = e.try_scrape(port)
        v = m.get("logagent_input_truncations_total") if m else None
        return v or 0.0

    stats = {"rename": 0, "copytruncate": 0, "trunc_not_counted": 0, "ct_wait": 0.0}

    def before_truncate(w: e.StreamWriter) -> None:
        t = e.wait_for(lambda: caught_up(w), 15,
                       f"agent delivers all {w.seq} lines of {w.stream}.log before copy-truncate",
                       agent=agent)
        stats["ct_wait"] = max(stats["ct_wait"], t)

    d_writer = None
    t0 = time.monotonic()
    next_rename = t0 + 1.2
    next_ct = t0 + 2.0
    while time.monotonic() - t0 < WRITE_SECONDS:
        for w in writers.values():
            w.write(40)
        now = time.monotonic()
        if now >= next_rename:
            writers["a"].rotate_rename(keep=3)
            stats["rename"] += 1
            writers["a"].write(5)  # the new a.log
            next_rename = now + 1.2
        if now >= next_ct:
            before = truncations()
            b = writers["b"]
            b.copy_truncate(before_truncate=lambda: before_truncate(b))
            stats["copytruncate"] += 1
            try:
                e.wait_for(lambda: truncations() > before, 5,
                           "logagent_input_truncations_total counts the copy-truncate")
            except e.TestFailure:
                stats["trunc_not_counted"] += 1
            next_ct = time.monotonic() + 2.0
        if not stats.get("burst") and now - t0 > 6.0:
            # A burst: five rename rotations 100 ms apart, each new a.log written at once.
            # Only inotify (not the 200 ms rescan) can see every a.log before it is renamed.
            for _ in range(5):
                writers["a"].rotate_rename(keep=3)
                writers["a"].write(40)
                stats["rename"] += 1
                time.sleep(0.1)
            stats["burst"] = 1
            next_rename = time.monotonic() + 1.2
        if d_writer is None and now - t0 > 3.0:
            d_writer = e.StreamWriter(logs, "d", seed=9)
            writers["d"] = d_writer
        time.sleep(0.005)
    written = {s: w.seq for s, w in writers.items()}
    e.log(f"wrote {sum(written.values())} lines {written}; renames={stats['rename']} "
          f"copy-truncates={stats['copytruncate']} (longest wait for catch-up before "
          f"truncate {stats['ct_wait']:.2f} s)")

    def all_delivered() -> bool:
        ids = refresh()
        return all(len(ids.get(s, ())) >= n for s, n in written.items())

    try:
        waited = e.wait_for(all_delivered, 30, "agent catches up with every written line",
                            agent=agent)
        e.log(f"caught up {waited:.2f} s after the writers stopped")
    except e.TestFailure as err:
        e.log(f"warning: {err}")
    m = e.try_scrape(port)
    if m:
        e.log("metrics: " + ", ".join(
            f"{k}={m.get(k)}" for k in ("logagent_input_lines_total",
                                        "logagent_input_rotations_total",
                                        "logagent_input_truncations_total",
                                        "logagent_files_open", "logagent_buffer_pool_in_use")))
    agent.stop(timeout=20)

    # Judge the whole output as it is on disk now, not what was seen while polling.
    final = [ev["message"].encode() for ev in e.read_json_output(out)]
    rep = e.compare_by_id(written, [final], allow_duplicates=False)
    rep.print("live rotation")
    rep.assert_ok("live rotation", allow_duplicates=False)
    e.check(stats["trunc_not_counted"] == 0,
            f"{stats['trunc_not_counted']} of {stats['copytruncate']} copy-truncates were not "
            "counted by logagent_input_truncations_total within 5 s")


if __name__ == "__main__":
    e.main("live_rotation", body)
