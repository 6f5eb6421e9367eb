#!/usr/bin/env python3
"""The quick start (packaging/quickstart.sh) end to end, with the binary under test.

The script is given this build's binary (LOGAGENT_BIN: no bootstrap, no build), its own demo
directory, a free metrics port and a free pair of broker ports (LOGAGENT_KAFKA_PORT), so it meets
no other test's broker or agent.
- With Java: it starts its broker, ships the demo logs (grown and rotated while the agent runs) to
  Kafka, reads the topic back and prints "written N, in Kafka M": exit 0, N = M = every line
  written, and no broker or agent is left running.
- Stopped by SIGTERM while the agent runs: exit 143, and its trap stopped the agent and the broker.
- PATH without java: the file-only demo, with the reason printed: exit 0, N = M, no broker.

The Java cases are skipped, with the reason printed, when there is no `java` on PATH.
"""

import os
import re
import shutil
import signal
import subprocess
import time

import e2e_lib as e
from test_kafka_delivery import KafkaBroker

LINES = 3 * 20000 + 2 * 5000  # what the script writes: three logs, then api.log around a rotation
COUNTS_RE = re.compile(r"^== written (\d+), in (.+?) (\d+)$", re.M)


def script(ctx: e.Context) -> str:
    return os.path.join(ctx.source_dir, "packaging", "quickstart.sh")


def env_for(ctx: e.Context, demo: str, path: str | None = None) -> dict:
    env = dict(os.environ, LOGAGENT_BIN=ctx.logagent, LOGAGENT_DEMO=demo,
               LOGAGENT_METRICS=f"127.0.0.1:{e.free_port()}",
               LOGAGENT_KAFKA_PORT=str(KafkaBroker._free_pair()))
    if path is not None:
        env["PATH"] = path
    return env


def leftovers(demo: str) -> list[str]:
    """Processes still running from the demo in `demo`: its broker (whose command line names
    its data dir) and its agent (whose environment names the demo dir)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ")
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read().split(b"\0")
        except OSError:
            continue
        if b"kafka.Kafka " in cmdline and demo.encode() in cmdline:
            found.append(f"broker pid {pid}")
        elif b" run -c " in cmdline and f"LOGAGENT_DEMO={demo}".encode() in environ:
            found.append(f"agent pid {pid}")
    return found


def stop_broker(ctx: e.Context, demo: str) -> None:
    """Safety net: stops a broker the script left (the test then fails on it)."""
    state = os.path.join(demo, "kafka-state")
    if os.path.isdir(state):
        subprocess.run([os.path.join(ctx.source_dir, "tests", "kafka", "kafka.sh"), "stop"],
                       env=dict(os.environ, LOGAGENT_KAFKA_STATE=state),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)


def run(ctx: e.Context, label: str, env: dict) -> str:
    """Runs the script to its end; fails unless it exits 0 and its counts are equal."""
    t0 = time.monotonic()
    p = subprocess.run([script(ctx)], env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=400)
    out = p.stdout + p.stderr
    with open(ctx.path(f"{label}.out"), "w", encoding="utf-8") as f:
        f.write(out)
    e.check(p.returncode == 0, f"{label}: quickstart.sh exited {p.returncode}:\n{out[-4000:]}")
    m = COUNTS_RE.search(p.stdout)
    e.check(m is not None, f"{label}: no '== written N, in ... M' line:\n{out[-4000:]}")
    written, where, shipped = int(m.group(1)), m.group(2), int(m.group(3))
    e.log(f"[{label}] exit 0 in {time.monotonic() - t0:.1f} s: written {written}, {where} "
          f"{shipped}")
    e.check(written == shipped == LINES, f"{label}: written {written}, {where} {shipped}, "
                                         f"expected {LINES} both")
    return p.stdout


def kafka_case(ctx: e.Context) -> None:
    demo = ctx.path("demo-kafka")
    try:
        out = run(ctx, "kafka", env_for(ctx, demo))
        e.check("in Kafka" in out, f"kafka: the counts are not Kafka's:\n{out[-2000:]}")
        e.check(not os.path.exists(os.path.join(demo, "kafka-state")),
                "kafka: the broker's state dir is still there (kafka.sh stop not run)")
        e.check(not leftovers(demo), f"kafka: left running: {leftovers(demo)}")
    finally:
        stop_broker(ctx, demo)


def sigterm_case(ctx: e.Context) -> None:
    demo = ctx.path("demo-sigterm")
    env = env_for(ctx, demo)
    with open(ctx.path("sigterm.out"), "wb") as log:
        p = subprocess.Popen([script(ctx)], env=env, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        def agent_started() -> bool:
            e.check(p.poll() is None, f"sigterm: quickstart.sh exited {p.returncode} early")
            with open(ctx.path("sigterm.out"), encoding="utf-8", errors="replace") as f:
                return "== starting: " in f.read()
        e.wait_for(agent_started, 180, "the quick start's agent started")
        e.wait_for(lambda: len(leftovers(demo)) == 2, 30, "its broker and agent running")
        p.send_signal(signal.SIGTERM)
        rc = p.wait(120)
        e.log(f"[sigterm] quickstart.sh exited {rc} after SIGTERM")
        e.check(rc == 143, f"sigterm: quickstart.sh exited {rc}, expected 143")
        e.check(not leftovers(demo), f"sigterm: left running: {leftovers(demo)}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        stop_broker(ctx, demo)


def path_without_java(ctx: e.Context) -> str:
    """A directory of links to every command on PATH except java."""
    bin_dir = ctx.mkdir("path-without-java")
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            link, target = os.path.join(bin_dir, name), os.path.join(d, name)
            if name != "java" and not os.path.lexists(link) and os.access(target, os.X_OK):
                os.symlink(target, link)
    return bin_dir


def file_case(ctx: e.Context) -> None:
    demo = ctx.path("demo-file")
    path = path_without_java(ctx)
    e.check(shutil.which("java", path=path) is None, "file: java still on the reduced PATH")
    out = run(ctx, "file", env_for(ctx, demo, path=path))
    e.check("no Java on PATH" in out, f"file: no reason printed for the fallback:\n{out[-2000:]}")
    e.check(not os.path.exists(os.path.join(demo, "kafka-state")), "file: a broker was started")
    e.check(not leftovers(demo), f"file: left running: {leftovers(demo)}")


def body(ctx: e.Context) -> None:
    if shutil.which("java") is None:
        e.log("SKIP quickstart with Kafka: no java on PATH (the broker needs Java 17+)")
    else:
        kafka_case(ctx)
        sigterm_case(ctx)
    file_case(ctx)


if __name__ == "__main__":
    e.main("quickstart", body)
