#!/usr/bin/env python3
"""Rescans that trust inotify (plugins/inputs/tail/scan_cache) still find every change.

A rescan lists a watched directory again only after a create, rename or delete in it, and stats
a file again only after an event named it; everything is listed and stat'ed every 60
scan_intervals. Here scan_interval is 5 s, so that full scan is 300 s away, past every wait of
this test: each case is found through inotify, or through a rescan that saw what inotify could
not vouch for -- not through the full scan. Cases, one agent, lines "case=X n=N":
  idle: 40 files with max_open_files 8 (most closed idle), then a line appended to each;
  created: a file created in the watched directory after it went quiet;
  moved-dir: the directory of a pattern renamed away and a new one made under its name (the old
    watch follows the old directory: the new one must be watched and listed);
  relinked-dir: a pattern's directory is a symlink, re-pointed to another directory (no event
    in any watched directory);
  link-target: a pattern matches a symlink whose target is rotated by rename (the kubelet's
    /var/log/containers scheme: no event where the link is).
Every line must come out once."""

import os
import time

import e2e_lib as e


def body(ctx: e.Context) -> None:
    root = ctx.mkdir("logs")
    idle = ctx.mkdir("logs", "idle")
    ctx.mkdir("logs", "cur")
    ctx.mkdir("logs", "r1")
    ctx.mkdir("logs", "r2")
    ctx.mkdir("logs", "pods")
    ctx.mkdir("logs", "links")
    os.symlink("r1", os.path.join(root, "live"))
    out = ctx.path("out", "out.log")
    os.makedirs(os.path.dirname(out))
    port = e.free_port()
    cfg = e.make_config(
        ctx, metrics_port=port, workers=1,
        paths=[os.path.join(idle, "*.log"), os.path.join(root, "cur", "*.log"),
               os.path.join(root, "live", "*.log"), os.path.join(root, "links", "*.log")],
        sinks=[e.file_sink(out, "raw")],
        input_extra={"scan_interval": "5s", "max_open_files": 8, "idle_close_after": "1s"})

    expected: list[bytes] = []
    counter = {"n": 0}

    def write(path: str, case: str, count: int) -> None:
        lines = []
        for _ in range(count):
            lines.append(f"case={case} n={counter['n']}".encode())
            counter["n"] += 1
        e.write_lines(path, lines, mode="ab")
        expected.extend(lines)

    def delivered() -> list[bytes]:
        lines, _ = e.read_raw_output(out)
        return lines

    def wait_all(what: str) -> None:
        e.wait_for(lambda: len(delivered()) >= len(expected), 60, what, agent=agent)

    for i in range(40):
        write(os.path.join(idle, f"f{i:02d}.log"), "idle", 3)
    write(os.path.join(root, "cur", "a.log"), "moved-dir", 5)
    write(os.path.join(root, "r1", "a.log"), "relinked-dir", 5)
    write(os.path.join(root, "pods", "0.log"), "link-target", 5)
    os.symlink(os.path.join("..", "pods", "0.log"), os.path.join(root, "links", "x.log"))

    agent = ctx.agent(cfg, label="scan").start()
    e.wait_for(lambda: e.try_scrape(port) is not None, 10, "metrics endpoint up", agent=agent)
    wait_all("the lines present at start")

    def closed_idle() -> float:
        m = e.try_scrape(port)
        return (m.get("logagent_input_files_closed_idle_total") or 0.0) if m else 0.0

    e.wait_for(lambda: closed_idle() >= 30, 60, "files beyond max_open_files closed idle",
               agent=agent)
    time.sleep(6)  # a quiet rescan or more: what is cached is trusted from here
    for i in range(40):
        write(os.path.join(idle, f"f{i:02d}.log"), "idle", 1)
    wait_all("a line appended to each of 40 idle files")

    write(os.path.join(idle, "new.log"), "created", 4)
    wait_all("a file created in a quiet watched directory")

    os.rename(os.path.join(root, "cur"), os.path.join(root, "cur.old"))
    os.mkdir(os.path.join(root, "cur"))
    write(os.path.join(root, "cur", "b.log"), "moved-dir", 5)
    wait_all("a file in the directory made where the watched one was renamed away")

    tmp_link = os.path.join(root, "live.tmp")
    os.symlink("r2", tmp_link)
    write(os.path.join(root, "r2", "a.log"), "relinked-dir", 5)
    os.rename(tmp_link, os.path.join(root, "live"))  # ln -sfn r2 live
    wait_all("a file in the directory a symlinked pattern directory points to now")

    os.rename(os.path.join(root, "pods", "0.log"), os.path.join(root, "pods", "0.log.1"))
    write(os.path.join(root, "pods", "0.log"), "link-target", 5)
    wait_all("the new file behind a symlink whose target was rotated")

    agent.stop()
    got = delivered()
    e.check(sorted(got) == sorted(expected),
            f"{len(expected)} lines written, {len(got)} delivered; missing "
            f"{sorted(set(expected) - set(got))[:5]}, extra or twice "
            f"{[x for x in set(got) if got.count(x) > 1 or x not in expected][:5]}")
    e.log(f"  {len(expected)} lines, every one delivered once")


if __name__ == "__main__":
    e.main("scan_cache", body)
