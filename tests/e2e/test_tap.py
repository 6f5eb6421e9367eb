#!/usr/bin/env python3
"""`logagent tap`: a live sample of a running pipeline's events, through GET /tap.

An agent tails a log of json lines that a writer keeps appending to, through a json stage, into a
file sink (raw). Then:
  - `tap --stage 0 --limit 3` prints 3 json events as the input made them (no parsed fields), and
    the default tap (after the last stage) prints events with the json stage's fields;
  - an unknown pipeline and a stage out of range exit non-zero naming what exists;
  - `tap | head -1` prints one line and the tap exits 0 at once;
  - a tap client killed mid-stream (kill -9) is detached (logagent_tap_sessions back to 0);
  - a client that never reads: its samples are buffered then dropped (never waited for), the
    listener answers /metrics, /healthz and /ready, and the tap detaches once it closes;
  - 4 taps stream at once: a 5th is refused (503), /metrics, /healthz and /ready still answer;
  - a reload that rebuilds the pipeline mid-tap (an add_fields stage added): the tap attaches to
    the new pipeline and shows the new field;
  - every line written reaches the sink (lines in == lines out) and the buffer pool is all back;
  - SIGTERM mid-tap: the agent exits 0 and the tap exits 0 saying the agent is stopping.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_lib as e  # noqa: E402

PIPELINE = "app"


class Tap:
    """A `logagent tap` process whose stdout lines are collected by a thread."""

    def __init__(self, ctx: e.Context, config: str, *args: str, label: str = "tap"):
        self.stderr_path = ctx.path(f"{label}-{os.getpid()}-{id(self)}.stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([ctx.logagent, "tap", PIPELINE, "-c", config, *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr)
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    def stderr(self) -> str:
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait(self, timeout: float = 30) -> int:
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise e.TestFailure(f"tap did not exit within {timeout:.0f} s: {self.stderr()}")
        self.thread.join(10)
        self._stderr.close()
        return rc


def run_tap(ctx: e.Context, config: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ctx.logagent, "tap", *args, "-c", config], capture_output=True,
                          text=True, timeout=60)


def events(stdout: str) -> list[dict]:
    return [e.parse_json_line(line.encode(), "tap output") for line in stdout.splitlines()]


def tap_sessions(port: int) -> float | None:
    m = e.try_scrape(port)
    return m.get("logagent_tap_sessions") if m else None


def check_points(ctx: e.Context, config: str) -> None:
    r = run_tap(ctx, config, PIPELINE, "--stage", "0", "--limit", "3")
    e.check(r.returncode == 0, f"tap --stage 0 exited {r.returncode}: {r.stderr}")
    got = events(r.stdout)
    e.log(f"stage 0: {got[0]}")
    e.check(len(got) == 3, f"tap --stage 0 --limit 3 printed {len(got)} lines")
    e.check(all("message" in ev and "seq" not in ev for ev in got),
            f"stage 0 shows parsed fields (or no message): {got}")
    r = run_tap(ctx, config, PIPELINE, "--limit", "3")
    e.check(r.returncode == 0, f"tap exited {r.returncode}: {r.stderr}")
    got = events(r.stdout)
    e.log(f"after the last stage: {got[0]}")
    e.check(len(got) == 3 and all(isinstance(ev.get("seq"), int) for ev in got),
            f"after the json stage, no parsed field 'seq': {got}")
    e.check("after json (stage 1)" in r.stderr and "3 event(s)" in r.stderr,
            f"no start or summary line on stderr: {r.stderr!r}")


def check_errors(ctx: e.Context, config: str) -> None:
    r = run_tap(ctx, config, "nope")
    e.log(f"unknown pipeline: exit {r.returncode}: {r.stderr.strip()}")
    e.check(r.returncode != 0 and "unknown pipeline 'nope'" in r.stderr and PIPELINE in r.stderr,
            f"unknown pipeline: exit {r.returncode}, {r.stderr!r}")
    r = run_tap(ctx, config, PIPELINE, "--stage", "2")
    e.log(f"stage out of range: exit {r.returncode}: {r.stderr.strip()}")
    e.check(r.returncode != 0 and "no stage 2" in r.stderr and "1: json" in r.stderr,
            f"stage out of range: exit {r.returncode}, {r.stderr!r}")


def check_head(ctx: e.Context, config: str) -> None:
    r = subprocess.run(["bash", "-c", f"'{ctx.logagent}' tap {PIPELINE} -c '{config}' | head -1; "
                        "echo \"tap-exit=${PIPESTATUS[0]}\" >&2"],
                       capture_output=True, text=True, timeout=60)
    e.log(f"| head -1: {r.stderr.strip().splitlines()[-1]}")
    e.check(len(r.stdout.splitlines()) == 1, f"| head -1 printed {r.stdout!r}")
    e.check("tap-exit=0" in r.stderr, f"tap | head -1 did not exit 0: {r.stderr!r}")


def check_killed_client(ctx: e.Context, config: str, port: int) -> None:
    tap = Tap(ctx, config, "--rate", "10000", label="killed")
    e.wait_for(lambda: len(tap.lines) >= 10, 30, "the tap prints events")
    tap.proc.kill()
    tap.wait()
    e.wait_for(lambda: tap_sessions(port) == 0, 30, "the killed tap detached (sessions 0)")


def check_stalled_client(port: int) -> None:
    """A client that never reads: the agent drops its samples (counted) and goes on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET /tap?pipeline={PIPELINE}&stage=0&rate=10000 HTTP/1.1\r\n"
                 "Host: x\r\n\r\n".encode())
    try:
        e.wait_for(lambda: tap_sessions(port) == 1, 30, "the stalled tap attached")

        def dropping() -> bool:
            m = e.try_scrape(port)
            return m is not None and (m.get("logagent_tap_dropped_total") or 0) > 0 \
                or (m is not None and (m.get("logagent_tap_buffered_bytes") or 0) > 0)

        e.wait_for(dropping, 60, "the stalled tap's samples buffered or dropped, not waited for")
        for path in ("/metrics", "/healthz", "/ready"):
            status, _ = e.http(port, path)
            e.check(status == 200, f"{path} answered {status} beside a stalled tap")
    finally:
        sock.close()
    e.wait_for(lambda: tap_sessions(port) == 0, 30, "the stalled tap detached once it closed")


def check_many(ctx: e.Context, config: str, port: int) -> None:
    taps = [Tap(ctx, config, "--stage", str(i % 2), label=f"many{i}") for i in range(4)]
    e.wait_for(lambda: tap_sessions(port) == 4, 30, "4 taps attached")
    r = run_tap(ctx, config, PIPELINE)
    e.log(f"5th tap: exit {r.returncode}: {r.stderr.strip()}")
    e.check(r.returncode != 0 and "attached already" in r.stderr, f"5th tap: {r.stderr!r}")
    for path in ("/metrics", "/healthz", "/ready"):
        status, _ = e.http(port, path)
        e.check(status == 200, f"{path} answered {status} while 4 taps stream")
    for t in taps:
        t.proc.send_signal(signal.SIGINT)
    for t in taps:
        rc = t.wait()
        e.check(rc == 0, f"tap ended by SIGINT exited {rc}: {t.stderr()}")
        e.check(len(t.lines) > 0 and "event(s)" in t.stderr(), f"tap: {t.stderr()!r}")
    e.wait_for(lambda: tap_sessions(port) == 0, 30, "the 4 taps detached")


def check_reload(ctx: e.Context, agent: e.Agent, config: str, with_stage: str) -> None:
    tap = Tap(ctx, config, "--rate", "50", label="reload")
    e.wait_for(lambda: len(tap.lines) >= 3, 30, "the tap prints events before the reload")
    os.replace(with_stage, config)
    agent.send_signal(signal.SIGHUP)
    e.wait_for(lambda: any('"tapped":"yes"' in line for line in tap.lines), 60,
               "the tap shows the field of the stage the reload added", agent=agent)
    tap.proc.send_signal(signal.SIGINT)
    rc = tap.wait()
    e.log(f"reload: {tap.stderr().strip()}")
    e.check(rc == 0, f"tap across a reload exited {rc}")
    e.check("attaching again" in tap.stderr() and "after add_fields (stage 2)" in tap.stderr(),
            f"tap across a reload: {tap.stderr()!r}")


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    port = e.free_port()
    out = ctx.path("out.log")
    config = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], name=PIPELINE,
                           sinks=[e.file_sink(out, "raw")], metrics_port=port)
    with open(config, encoding="utf-8") as f:
        text = f.read()
    at = text.index("    sinks:")
    with open(config, "w", encoding="utf-8") as f:
        f.write(text[:at] + "    stages:\n      - type: json\n" + text[at:])
    with_stage = ctx.path("config-reloaded.yaml")
    with open(with_stage, "w", encoding="utf-8") as f:
        f.write(text[:at] + "    stages:\n      - type: json\n      - type: add_fields\n"
                "        fields: {tapped: \"yes\"}\n" + text[at:])
    agent = ctx.agent(config).start()
    e.wait_for(lambda: e.try_scrape(port) is not None, 30, "the agent's /metrics", agent=agent)
    log_path = os.path.join(logs, "app.log")
    seq = [0]

    def write_some() -> None:
        with open(log_path, "ab") as f:
            for _ in range(50):
                f.write(b'{"seq":%d,"level":"info","msg":"request served"}\n' % seq[0])
                seq[0] += 1

    writer = e.Background(write_some, 0.02).start()
    try:
        check_points(ctx, config)
        check_errors(ctx, config)
        check_head(ctx, config)
        check_killed_client(ctx, config, port)
        check_stalled_client(port)
        check_many(ctx, config, port)
        check_reload(ctx, agent, config, with_stage)
        tap = Tap(ctx, config, label="sigterm")  # stays attached while the lines drain
    finally:
        writer.stop()
    written = seq[0]

    def delivered() -> int:
        try:
            with open(out, "rb") as f:
                return len(set(f.read().splitlines()))
        except FileNotFoundError:
            return 0

    e.wait_for(lambda: delivered() == written, 60, f"all {written} lines in the sink", agent=agent)
    e.wait_pool_returned(port, "after the taps", agent=agent)
    e.log(f"{written} lines written, {delivered()} distinct lines delivered")
    agent.stop()
    rc = tap.wait()
    e.check(rc == 0 and "the agent is stopping" in tap.stderr(),
            f"tap at SIGTERM: exit {rc}: {tap.stderr()!r}")


if __name__ == "__main__":
    e.main("tap", body)
