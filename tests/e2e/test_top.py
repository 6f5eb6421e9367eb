#!/usr/bin/env python3
"""`logagent top`: the terminal view over a running agent's /metrics.

An agent tails a log file that a writer keeps appending to, into a file sink. Then:
  - `logagent top --once -c CONFIG` prints a table naming the pipeline (and its sink) with
    non-zero events/s in, and exits 0;
  - `logagent top` runs in a real terminal (tmux, on a private server socket): the pane shows the
    pipeline, 'p' pauses and resumes (the status line says so), a wider window is laid out anew,
    'q' quits with status 0, and the terminal is as it was (same `stty -g`, main screen back,
    cursor shown, the table gone from it);
  - Ctrl-C (status 130) and SIGTERM (143) end the live view too, with the terminal restored;
  - an agent that is not there gives exit 1 and a message that says so.
Without tmux the terminal part is skipped with a printed reason (packaging/bootstrap.sh installs
it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_lib as e  # noqa: E402

PIPELINE = "web-frontend"


def run_top(ctx: e.Context, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ctx.logagent, "top", *args], capture_output=True, text=True,
                          timeout=60)


def check_unreachable(ctx: e.Context) -> None:
    port = e.free_port()  # nothing listens there
    r = run_top(ctx, "--once", "--url", f"http://127.0.0.1:{port}/metrics")
    e.log(f"unreachable: exit {r.returncode}: {r.stderr.strip()}")
    e.check(r.returncode != 0, "top --once against no agent exited 0")
    e.check("cannot read the agent's metrics" in r.stderr and "refused" in r.stderr,
            f"top --once against no agent: unclear message: {r.stderr!r}")
    e.check(r.stdout == "", f"top --once against no agent printed a table: {r.stdout!r}")


def pipeline_row(table: str) -> list[str] | None:
    for line in table.splitlines():
        if line.startswith(PIPELINE + " "):
            return line.split()
    return None


def check_once(ctx: e.Context, config: str) -> None:
    tables: list[str] = []

    def table_with_rate() -> bool:
        r = run_top(ctx, "--once", "-c", config, "--interval", "1")
        e.check(r.returncode == 0, f"top --once exited {r.returncode}: {r.stderr}")
        tables.append(r.stdout)
        row = pipeline_row(r.stdout)
        return row is not None and row[1] not in ("0", "0.0")

    e.wait_for(table_with_rate, 60, "top --once shows the pipeline with events/s in", interval=0.1)
    table = tables[-1]
    e.log("top --once:\n" + table)
    e.check(all(len(line) <= 80 for line in table.splitlines()), "a line is wider than 80 columns")
    e.check("PIPELINE / SINK" in table and "IN/S" in table, "no column titles")
    lines = table.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(PIPELINE + " "))
    e.check(at + 1 < len(lines) and lines[at + 1].startswith("  "),
            "the pipeline's sink is not listed under it")


class Tmux:
    """A tmux server of its own (socket name unique to this test run)."""

    def __init__(self, ctx: e.Context):
        self.socket = f"logagent-e2e-top-{os.getpid()}"
        self.ctx = ctx

    def __call__(self, *args: str) -> str:
        r = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                           capture_output=True, text=True, timeout=30)
        e.check(r.returncode == 0, f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def pane(self, session: str) -> str:
        return self("capture-pane", "-p", "-t", session)

    def wait_pane(self, session: str, cond, what: str) -> str:
        seen: list[str] = [""]

        def holds() -> bool:
            seen[0] = self.pane(session)
            return cond(seen[0])

        try:
            e.wait_for(holds, 30, what, interval=0.05)
        except e.TestFailure:
            e.log(f"--- pane {session} ---\n{seen[0]}\n---")
            raise
        return seen[0]

    def kill_server(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def start_session(ctx: e.Context, tmux: Tmux, session: str, config: str) -> dict[str, str]:
    files = {k: ctx.path(f"{session}.{k}") for k in ("before", "after", "pid")}
    # The sh records its pid, then execs the one that runs top in the foreground of the pane and
    # reports its exit status and the terminal's modes after it.
    # Ctrl-C reaches the whole foreground group: the shells ignore it (top sets its own handler).
    script = (f"trap '' INT; stty -g > {files['before']}; echo $$ > {files['pid']}; "
              f"exec sh -c '{ctx.logagent} top -c {config} --interval 0.5; "
              f"echo TOP-EXIT=$?; stty -g > {files['after']}; exec sleep 600'")
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "sh", "-c", script)
    return files


def titles_at(pane: str, end: int) -> bool:
    """Whether the column titles' IN/S ends at column `end`."""
    for line in pane.splitlines():
        if line.startswith("PIPELINE / SINK"):
            return line.find("IN/S") + 4 == end
    return False


def read(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def check_restored(tmux: Tmux, session: str, files: dict[str, str], want_exit: str) -> None:
    pane = tmux.wait_pane(session, lambda p: "TOP-EXIT=" in p, f"{session}: top exited")
    e.wait_for(lambda: os.path.exists(files["after"]) and read(files["after"]) != "", 10,
               f"{session}: stty -g after top")
    e.check(f"TOP-EXIT={want_exit}" in pane, f"{session}: expected exit {want_exit}:\n{pane}")
    e.check(read(files["before"]) == read(files["after"]),
            f"{session}: terminal modes not restored: {read(files['before'])} != "
            f"{read(files['after'])}")
    e.check(tmux("display-message", "-p", "-t", session, "#{alternate_on}").strip() == "0",
            f"{session}: still on the alternate screen")
    e.check(tmux("display-message", "-p", "-t", session, "#{cursor_flag}").strip() == "1",
            f"{session}: cursor left hidden")
    e.check(PIPELINE not in pane, f"{session}: the table was left on the main screen:\n{pane}")


def check_live(ctx: e.Context, config: str) -> None:
    if shutil.which("tmux") is None:
        e.log("SKIP live view: tmux is not installed (packaging/bootstrap.sh installs it)")
        return
    tmux = Tmux(ctx)
    try:
        files = start_session(ctx, tmux, "keys", config)
        pane = tmux.wait_pane("keys", lambda p: pipeline_row(p) is not None
                              and pipeline_row(p)[1] not in ("0", "0.0"),
                              "the live view shows the pipeline with events/s in")
        e.log("live view:\n" + pane)
        e.check(tmux("display-message", "-p", "-t", "keys", "#{alternate_on}").strip() == "1",
                "the live view is not on the alternate screen")
        tmux("send-keys", "-t", "keys", "p")
        tmux.wait_pane("keys", lambda p: "[paused]" in p, "'p' pauses")
        tmux("send-keys", "-t", "keys", "p")
        tmux.wait_pane("keys", lambda p: "[paused]" not in p and PIPELINE in p, "'p' resumes")
        # Wider: the name column takes the room (48 columns from 140), so IN/S moves right.
        tmux("resize-window", "-t", "keys", "-x", "140", "-y", "30")
        tmux.wait_pane("keys", lambda p: titles_at(p, 48 + 1 + 8), "the table laid out anew at 140")
        tmux("send-keys", "-t", "keys", "q")
        check_restored(tmux, "keys", files, "0")

        files = start_session(ctx, tmux, "ctrl-c", config)
        tmux.wait_pane("ctrl-c", lambda p: pipeline_row(p) is not None, "the live view (Ctrl-C)")
        tmux("send-keys", "-t", "ctrl-c", "C-c")
        check_restored(tmux, "ctrl-c", files, "130")

        files = start_session(ctx, tmux, "term", config)
        tmux.wait_pane("term", lambda p: pipeline_row(p) is not None, "the live view (SIGTERM)")
        shell = int(read(files["pid"]))  # the sh that runs top
        children = subprocess.run(["pgrep", "-P", str(shell), "-x", "logagent"],
                                  capture_output=True, text=True).stdout.split()
        e.check(len(children) == 1, f"top's process not found under sh {shell}: {children}")
        os.kill(int(children[0]), e.sig_mod.SIGTERM)
        check_restored(tmux, "term", files, "143")
    finally:
        tmux.kill_server()


def body(ctx: e.Context) -> None:
    check_unreachable(ctx)

    logs = ctx.mkdir("logs")
    port = e.free_port()
    config = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], name=PIPELINE,
                           sinks=[e.file_sink(ctx.path("out.ndjson"), "raw")], metrics_port=port)
    agent = ctx.agent(config).start()
    e.wait_for(lambda: e.try_scrape(port) is not None, 30, "the agent's /metrics", agent=agent)
    log_path = os.path.join(logs, "app.log")
    seq = [0]

    def write_some() -> None:
        with open(log_path, "ab") as f:
            for _ in range(200):
                f.write(b"line %d of the load\n" % seq[0])
                seq[0] += 1

    writer = e.Background(write_some, 0.02).start()
    try:
        check_once(ctx, config)
        check_live(ctx, config)
    finally:
        writer.stop()
    agent.stop()


if __name__ == "__main__":
    e.main("top", body)
