#!/usr/bin/env python3
"""The container image, built and run: packaging/container/Dockerfile under podman.

    python3 tests/system/test_container_image.py [--source-dir REPO] [--jobs N] [--keep]

1. The Dockerfile's base images (debian:bookworm, debian:bookworm-slim) are made here with
   mmdebstrap and imported into a private podman store (tests/system/podman_lib.py; cached).
2. A probe finds how this machine runs a container (runtime, limits; network host).
3. `podman build` of the Dockerfile as users build it (docker format, so HEALTHCHECK is kept),
   with --build-arg LOGAGENT_JOBS (default $LOGAGENT_JOBS or 2). The image's size is printed and
   must stay under MAX_ADDED_MIB above the slim base.
4. The image runs as it is shipped (its own configuration, its USER) with a bind-mounted log
   directory at /logs, a bind-mounted data directory and KAFKA_BROKERS pointing at a broker of
   tests/kafka/kafka.sh on the host's loopback (--network=host). Checked: the agent runs as uid
   10001, /ready answers 200, the HEALTHCHECK passes, every line written (before the start and
   while it runs) is in the topic exactly once, `podman stop` (SIGTERM) ends it with exit code
   0 before the stop timeout, and the checkpoint holds every file's size.

When the machine cannot run containers, the test prints the failing command and its error and
ends with SKIP (after the build, with chroot isolation, when that works). Prints its timings.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)

import e2e_lib as e  # noqa: E402
import podman_lib as pl  # noqa: E402
from test_kafka_delivery import KafkaBroker  # noqa: E402

NAME = "container-image"
SLIM = "docker.io/library/debian:bookworm-slim"
UID = 10001
DEPS_CACHE = "localhost/logagent-build-deps:cache"
TOPIC = "container-logs"
# The runtime stage adds its libraries (~20 MiB installed: librdkafka, libssl3, libcurl4 and
# their dependencies, RE2, simdjson...) and the stripped binary (~3.5 MiB) to the slim base.
# 150 MiB is generous and still far below what a leak of the build stage would add (its
# toolchain layer alone is over 1 GiB): the bound catches the Dockerfile shipping the compiler
# or the build tree, not small growth.
MAX_ADDED_MIB = 150
LINES_BEFORE = 3000  # per file, written before the container starts (read_from: head)
LINES_AFTER = 2000  # per file, appended while it runs


class Skip(Exception):
    """The machine lacks something the test needs; the message says what."""


def timed(timings: dict, label: str):
    class _T:
        def __enter__(self):
            self.t0 = time.monotonic()

        def __exit__(self, *exc):
            timings[label] = time.monotonic() - self.t0
    return _T()


def prerequisites() -> None:
    if os.geteuid() != 0:
        raise Skip("not root: the test uses rootful podman and mmdebstrap --mode=root "
                   "(CI runs as root)")
    for tool, pkg in [("podman", "podman"), ("mmdebstrap", "mmdebstrap")]:
        if not shutil.which(tool):
            raise Skip(f"{tool} is not installed (Debian package {pkg}; "
                       "LOGAGENT_BOOTSTRAP_SYSTEM=1 packaging/bootstrap.sh installs it)")


def open_store(log) -> pl.Podman:
    """A private store on overlay, or on vfs where overlay does not work."""
    errors = []
    for driver in ["overlay", "vfs"]:
        p = pl.Podman(log, driver)
        r = p("info", check=False, timeout=120)
        if r.returncode == 0:
            return p
        errors.append(pl.describe(p.argv("info"), r))
    raise Skip("no podman storage driver works:\n  " + "\n  ".join(errors))


def build(ctx: e.Context, p: pl.Podman, tag: str, jobs: int, isolation: str | None) -> None:
    """podman build of the Dockerfile; prints each step with the time it started. The image of
    the dependency step (`RUN packaging/bootstrap.sh`) is tagged DEPS_CACHE: untagged, it would
    go with the prune at the end, and the next build would install the toolchain again."""
    argv = p.argv("build", "--pull=never", "--format", "docker", *p.runtime_args(),
                  *(["--isolation", isolation] if isolation else []),
                  "--build-arg", f"LOGAGENT_JOBS={jobs}",
                  "-f", os.path.join(ctx.source_dir, "packaging/container/Dockerfile"),
                  "-t", tag, ctx.source_dir)
    log_path = ctx.path("build.log")
    t0 = time.monotonic()
    deps, in_deps = None, False
    with open(log_path, "w") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            out.write(line)
            if "STEP " in line:
                e.log(f"  +{time.monotonic() - t0:6.1f} s  {line.strip()[:110]}")
                in_deps = "RUN packaging/bootstrap.sh" in line
            elif in_deps and line.startswith("--> ") and "Using cache" not in line:
                deps, in_deps = line.split()[1], False
        rc = proc.wait()
    e.log(f"  +{time.monotonic() - t0:6.1f} s  build done (exit {rc})")
    if rc == 0 and deps:
        p("tag", deps, DEPS_CACHE)
    if rc != 0:
        tail = open(log_path).read().splitlines()[-25:]
        raise e.TestFailure(f"`{' '.join(argv)}` exited with {rc}; last lines of "
                            f"{log_path}:\n" + "\n".join(tail))


def check_size(p: pl.Podman, tag: str) -> None:
    size = int(p("image", "inspect", "--format", "{{.Size}}", tag).stdout)
    base = int(p("image", "inspect", "--format", "{{.Size}}", SLIM).stdout)
    added = (size - base) / 2**20
    e.log(f"image size: {size / 2**20:.0f} MiB ({size} bytes); the slim base "
          f"{base / 2**20:.0f} MiB; added by the Dockerfile {added:.0f} MiB "
          f"(bound {MAX_ADDED_MIB} MiB)")
    e.check(added <= MAX_ADDED_MIB, f"the image adds {added:.0f} MiB to its base, more than "
                                    f"{MAX_ADDED_MIB} MiB: did the build stage leak into it?")


def write_logs(logs: str, sub: str, start: int, n: int, written: dict) -> None:
    """Appends `n` lines to /logs/app.log and /logs/web/access.log (host paths under `logs`);
    `written` maps the paths the container sees to [(offset, line)]."""
    for rel in ["app.log", f"{sub}/access.log"]:
        path = os.path.join(logs, rel)
        lines = [b"%s line %06d %s" % (rel.encode(), i, b"x" * (20 + i % 90))
                 for i in range(start, start + n)]
        written.setdefault(f"/logs/{rel}", []).extend(e.write_lines(path, lines, mode="ab"))
        os.chmod(path, 0o644)


def metrics_port(ctx: e.Context) -> tuple[int, list[str]]:
    """The image's own configuration listens on 0.0.0.0:9464; when the host (whose network the
    container shares) has that port taken, a copy differing only in the port is mounted."""
    try:
        with socket.socket() as s:
            s.bind(("0.0.0.0", 9464))
        return 9464, []
    except OSError:
        pass
    port = e.free_port()
    src = open(os.path.join(ctx.source_dir, "packaging/container/logagent.yaml")).read()
    e.check("listen: 0.0.0.0:9464" in src, "the image's configuration no longer listens on 9464")
    cfg = ctx.path("logagent.yaml")
    with open(cfg, "w") as f:
        f.write(src.replace("listen: 0.0.0.0:9464", f"listen: 0.0.0.0:{port}"))
    os.chmod(cfg, 0o644)
    e.log(f"port 9464 is taken on this host: the image's configuration is mounted with port "
          f"{port} instead")
    return port, ["-v", f"{cfg}:/etc/logagent/logagent.yaml:ro"]


def run_image(ctx: e.Context, p: pl.Podman, tag: str, broker: KafkaBroker) -> None:
    logs, data = ctx.mkdir("logs"), ctx.mkdir("data")
    os.makedirs(os.path.join(logs, "web"), exist_ok=True)
    for d in [logs, os.path.join(logs, "web")]:
        os.chmod(d, 0o755)
    os.chown(data, UID, UID)
    os.chmod(data, 0o750)
    written: dict[str, list[tuple[int, bytes]]] = {}
    write_logs(logs, "web", 0, LINES_BEFORE, written)
    port, extra = metrics_port(ctx)
    name = f"logagent-test-{os.getpid()}"
    p("run", "-d", "--name", name, "--network=host", *p.runtime_args(),
      "-v", f"{logs}:/logs:ro", "-v", f"{data}:/var/lib/logagent", *extra,
      "-e", f"KAFKA_BROKERS={broker.bootstrap}", "-e", f"KAFKA_TOPIC={TOPIC}", tag)
    try:
        pid = int(p("inspect", "--format", "{{.State.Pid}}", name).stdout)
        ids = {k: open(f"/proc/{pid}/status").read().split(f"\n{k}:")[1].split()[:4]
               for k in ["Uid", "Gid"]}
        e.log(f"agent pid {pid} on the host: uid {ids['Uid']} gid {ids['Gid']}")
        e.check(ids["Uid"] == [str(UID)] * 4 and ids["Gid"] == [str(UID)] * 4,
                f"the agent does not run as {UID}:{UID}: {ids}")
        waited = e.wait_for(lambda: e.http(port, "/ready")[0] == 200, 90, "/ready answers 200",
                            interval=0.2)
        e.log(f"/ready 200 after {waited:.1f} s")
        write_logs(logs, "web", LINES_BEFORE, LINES_AFTER, written)
        check_delivered(broker, written)
        hc = p("healthcheck", "run", name, check=False, timeout=60)
        e.log(f"HEALTHCHECK (`podman healthcheck run`): exit {hc.returncode} "
              f"{hc.stdout.strip()}{hc.stderr.strip()}")
        e.check(port != 9464 or hc.returncode == 0, "the image's HEALTHCHECK fails")
        stop(p, name, data, written)
    except BaseException:
        r = p("logs", name, check=False, timeout=60)
        e.log(f"--- podman logs {name} (last lines) ---\n"
              + "\n".join((r.stdout + r.stderr).splitlines()[-40:]) + "\n---")
        raise
    finally:
        p("rm", "-f", "-t", "0", name, check=False, timeout=120)


def check_delivered(broker: KafkaBroker, written: dict) -> None:
    total = sum(len(v) for v in written.values())
    out = broker.consume(TOPIC, "%s\n", expect_messages=total, timeout=120)
    events = [e.parse_json_line(line, TOPIC) for line in out.splitlines()]
    rep = e.compare_by_offset(written, [events])
    rep.print("kafka")
    rep.assert_ok("kafka", allow_duplicates=False)
    # Nothing beyond the lines written: the whole topic, read to its end.
    every = broker.consume(TOPIC, "%o\n")
    e.log(f"lines in={total} lines out={len(every.splitlines())}")
    e.check(len(every.splitlines()) == total, "the topic holds more messages than lines written")


def stop(p: pl.Podman, name: str, data: str, written: dict) -> None:
    t0 = time.monotonic()
    p("stop", "-t", "30", name, timeout=90)
    took = time.monotonic() - t0
    code = int(p("inspect", "--format", "{{.State.ExitCode}}", name).stdout)
    e.log(f"podman stop (SIGTERM): exited with {code} after {took:.1f} s")
    e.check(code == 0, f"the agent exited with {code} on SIGTERM (137: killed at the timeout)")
    ckpt = os.path.join(data, "logs.checkpoint")
    e.check(os.path.exists(ckpt), f"no checkpoint at {ckpt} after the stop")
    offsets = sorted(e.checkpoint_offsets(ckpt))
    sizes = sorted(off + len(line) + 1 for off, line in (v[-1] for v in written.values()))
    e.log(f"checkpoint offsets {offsets}, file sizes {sizes}")
    e.check(offsets == sizes, "the checkpoint does not cover every line delivered")


def body(ctx: e.Context, jobs: int, timings: dict) -> None:
    prerequisites()
    p = open_store(e.log)
    with timed(timings, "base images"):
        try:
            p.ensure_bases()
        except pl.Unavailable as err:
            raise Skip(f"the base images cannot be made: {err}") from None
    cannot_run = None
    with timed(timings, "probe"):
        try:
            p.probe(SLIM)
        except pl.Unavailable as err:
            cannot_run = str(err)
            e.log(f"containers cannot run here: {cannot_run}")
    tag = f"localhost/logagent:test-{os.getpid()}"
    try:
        with timed(timings, "build"):
            try:
                build(ctx, p, tag, jobs, "chroot" if cannot_run else None)
            except e.TestFailure as err:
                if cannot_run:
                    raise Skip(f"{cannot_run}\nand the build without a runtime failed: "
                               f"{err}") from None
                raise
        check_size(p, tag)
        if cannot_run:
            raise Skip(f"the image builds, but {cannot_run}")
        if not (shutil.which("kcat") and shutil.which("java")):
            raise Skip("kcat or java is missing (tests/kafka/kafka.sh fetch installs them)")
        with timed(timings, "run"):
            broker = KafkaBroker(ctx).start()
            try:
                broker.create_topic(TOPIC, 2)
                run_image(ctx, p, tag, broker)
            finally:
                broker.stop()
    finally:
        p("rmi", "-f", tag, check=False, timeout=300)
        # The build's own intermediate images go; the base images and DEPS_CACHE stay for the
        # next run.
        p("image", "prune", "-f", check=False, timeout=300)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source-dir", default=os.path.abspath(os.path.join(HERE, "..", "..")))
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("LOGAGENT_JOBS", "2")))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    ctx = e.Context(NAME, argparse.Namespace(logagent="podman", source_dir=args.source_dir,
                                             keep=args.keep))
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    status, ok = "FAIL", False
    try:
        body(ctx, args.jobs, timings)
        status, ok = "PASS", True
    except Skip as err:
        status, ok = f"SKIP ({err})", True
    except e.TestFailure as err:
        e.log(f"FAIL {NAME}: {err}")
    except Exception:
        traceback.print_exc()
        e.log(f"FAIL {NAME}: unexpected exception (see traceback above)")
    finally:
        ctx.cleanup(ok)
    e.log("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
          + f", total {time.monotonic() - t0:.1f} s")
    if ok:
        e.log(f"{status.split(' ')[0]} {NAME}{status[4:]}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
