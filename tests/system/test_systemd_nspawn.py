#!/usr/bin/env python3
"""The .deb's systemd unit under a real systemd: a minimal Debian booted with systemd-nspawn.

Checks, in the container (see nspawn_lib.py for how it is made and entered):
  install   `dpkg -i` of the .deb: postinst creates the user, enables and starts the service
            with the shipped configuration; it reaches READY=1 (Type=notify: `systemctl
            is-active` says active only after READY=1) and sets its StatusText.
  read      with the test's configuration, a root-only log (/var/log/app/app.log, 0600 root, in
            a 0700 root directory the service user cannot even list) is delivered line for line
            to a file sink; the main process runs as `logagent` with CAP_DAC_READ_SEARCH as its
            only capability (effective, bounding and ambient sets), and `logagent` without the
            capability cannot read the file.
  reload    `systemctl reload` while lines are being written: a new pipeline appears (StatusText,
            the journal, its lines delivered) and the running one loses and duplicates nothing.
  stop      `systemctl stop` right after the agent read more lines: exit 0, every line that
            was read is delivered, the checkpoint ends at the end of the file.
  restart   lines written while stopped are delivered after `systemctl start`, none twice.
  security  `systemd-analyze security logagent`: the exposure score and the worst items.

Exits 0 when every check passed or when the machine cannot boot a container (SKIP, with the
reason and the failing command), 1 when a check failed.
  tests/system/test_systemd_nspawn.py [--build-dir build] [--deb FILE] [--cache-dir DIR]"""

import argparse
import collections
import contextlib
import glob
import os
import subprocess
import sys
import threading
import time

import nspawn_lib as ns
from nspawn_lib import Failure, Skip, log

# The score recorded in packaging/README.md (the container's systemd is always bookworm's 252):
# a weaker sandbox fails the test.
MAX_EXPOSURE = 1.5
TIMEOUT = 60  # seconds for any awaited condition
APP_LOG = "/var/log/app/app.log"
EXTRA_LOG = "/var/log/extra/extra.log"
OUT = "/var/lib/logagent/out"


def config(pipelines: list[str]) -> str:
    """The test's /etc/logagent/logagent.yaml: one pipeline per name, raw lines to a file."""
    text = ["data_dir: /var/lib/logagent", "metrics:", "  listen: 127.0.0.1:9464",
            "checkpoint_interval: 200ms", "shutdown_timeout: 10s", "pipelines:"]
    for name in pipelines:
        src = APP_LOG if name == "app" else EXTRA_LOG
        text += [f"  - name: {name}", "    input:", "      type: tail",
                 f"      paths: [{src}]", "      read_from: head", "    sinks:",
                 "      - type: file", f"        path: {OUT}/{name}.ndjson", "        format: raw"]
    return "\n".join(text) + "\n"


def check(cond: bool, message: str) -> None:
    if not cond:
        raise Failure(message)


def wait_for(cond, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout:.0f} s waiting for: {what}")
        time.sleep(0.1)


class Log:
    """A root-only log file in the container, written from the host, and what was written."""

    def __init__(self, c: ns.Container, path: str, tag: str):
        self.host_path = c.path(path)
        self.tag = tag
        self.lines: list[str] = []
        os.makedirs(os.path.dirname(self.host_path), mode=0o700, exist_ok=True)
        os.chmod(os.path.dirname(self.host_path), 0o700)
        os.close(os.open(self.host_path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(self.host_path, 0o600)

    def write(self, n: int) -> None:
        new = [f"{self.tag} {len(self.lines) + i:07d} {'x' * 40}" for i in range(n)]
        with open(self.host_path, "a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in new))
        self.lines += new


def delivered(c: ns.Container, name: str) -> list[str]:
    """The complete lines of a pipeline's file sink output."""
    try:
        with open(c.path(f"{OUT}/{name}.ndjson"), encoding="utf-8") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return data.split("\n")[:-1]


def wait_delivered(c: ns.Container, name: str, log_: Log) -> None:
    try:
        wait_for(lambda: len(delivered(c, name)) >= len(log_.lines),
                 f"{len(log_.lines)} lines of {name} delivered")
    except Failure as e:
        raise Failure(f"{e} (have {len(delivered(c, name))})") from e
    out = delivered(c, name)
    dups = [ln for ln, k in collections.Counter(out).items() if k > 1]
    missing = set(log_.lines) - set(out)
    check(not dups and not missing and len(out) == len(log_.lines),
          f"{name}: {len(log_.lines)} lines in, {len(out)} out, {len(missing)} missing, "
          f"{len(dups)} duplicated (e.g. {(sorted(missing) + dups)[:2]})")


def show(c: ns.Container, *props: str) -> dict[str, str]:
    out = c.sh(["systemctl", "show", "logagent", "-p", ",".join(props)]).stdout
    return dict(ln.split("=", 1) for ln in out.splitlines() if "=" in ln)


def metric(c: ns.Container, name: str, pipeline: str) -> float:
    """A pipeline's sample of a metric; -1 when the agent does not answer or lacks it."""
    text = c.net(["curl", "-fsS", "http://127.0.0.1:9464/metrics"], check=False).stdout
    for ln in text.splitlines():
        if ln.startswith(name + "{") and f'pipeline="{pipeline}"' in ln:
            return float(ln.rsplit(" ", 1)[1])
    return -1.0


def install(c: ns.Container, deb: str) -> None:
    with open(deb, "rb") as src, open(c.path("/root/logagent.deb"), "wb") as dst:
        dst.write(src.read())
    c.sh(["dpkg", "-i", "/root/logagent.deb"])
    check(c.sh(["systemctl", "is-active", "logagent"], check=False).stdout.strip() == "active",
          "the service is not active after dpkg -i (shipped configuration)")
    p = show(c, "StatusText", "UnitFileState")
    check(p["UnitFileState"] == "enabled", f"UnitFileState={p['UnitFileState']}, want enabled")
    log(f"install: active, enabled, StatusText={p['StatusText']!r}")
    c.sh(["systemctl", "stop", "logagent"])


def read_root_only(c: ns.Container, app: Log) -> None:
    with open(c.path("/etc/logagent/logagent.yaml"), "w", encoding="utf-8") as f:
        f.write(config(["app"]))
    app.write(1000)
    denied = c.sh(["runuser", "-u", "logagent", "--", "cat", APP_LOG], check=False)
    check(denied.returncode != 0, f"user logagent can read {APP_LOG} without a capability")
    c.sh(["systemctl", "start", "logagent"])  # returns once READY=1 came (Type=notify)
    p = show(c, "ActiveState", "StatusText", "MainPID")
    check(p["ActiveState"] == "active", f"ActiveState={p['ActiveState']} after start")
    check(p["StatusText"] == "running 1 pipeline(s)", f"StatusText={p['StatusText']!r}")
    status = c.sh(["cat", f"/proc/{p['MainPID']}/status"]).stdout
    fields = dict(ln.split(":\t", 1) for ln in status.splitlines() if ":\t" in ln)
    uid = c.sh(["id", "-u", "logagent"]).stdout.strip()
    check(fields["Uid"].split()[0] == uid, f"main process Uid {fields['Uid']}, want {uid}")
    caps = {k: fields[k].strip() for k in ("CapEff", "CapBnd", "CapAmb")}
    only_dac_read_search = "0000000000000004"  # 1 << CAP_DAC_READ_SEARCH (2)
    check(all(v == only_dac_read_search for v in caps.values()), f"capabilities {caps}")
    check(fields["NoNewPrivs"].strip() == "1", "NoNewPrivs is not set")
    app.write(1000)
    wait_delivered(c, "app", app)
    # LimitNOFILE=65536, unless the container's systemd cannot raise its hard limit that far
    # (no CAP_SYS_RESOURCE on the host running the test).
    want = min(65536, open_files_hard_limit(c.leader))
    text = c.net(["curl", "-fsS", "http://127.0.0.1:9464/metrics"]).stdout
    check(f"process_max_fds {want}" in text.splitlines(), f"process_max_fds is not {want}")
    # /proc/stat (boot time) is readable in the sandbox: a real start time, not seconds since boot.
    start = [ln for ln in text.splitlines() if ln.startswith("process_start_time_seconds ")]
    check(len(start) == 1 and float(start[0].split()[1]) > 1e9, f"process start time {start}")
    log(f"read: {len(app.lines)} lines of a 0600 root file delivered; uid {uid}, caps {caps}, "
        f"process_max_fds {want}")


def open_files_hard_limit(pid: int) -> int:
    with open(f"/proc/{pid}/limits", encoding="utf-8") as f:
        for ln in f:
            if ln.startswith("Max open files"):
                hard = ln.split()[4]
                return 1 << 62 if hard == "unlimited" else int(hard)
    raise Failure(f"no 'Max open files' in /proc/{pid}/limits")


def reload(c: ns.Container, app: Log, extra: Log) -> None:
    extra.write(500)
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            app.write(100)
            time.sleep(0.05)

    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(0.5)
        with open(c.path("/etc/logagent/logagent.yaml"), "w", encoding="utf-8") as f:
            f.write(config(["app", "extra"]))
        c.sh(["systemctl", "reload", "logagent"])
        wait_for(lambda: show(c, "StatusText")["StatusText"] == "running 2 pipeline(s)",
                 "StatusText 'running 2 pipeline(s)' after the reload")
        time.sleep(0.5)
    finally:
        stop.set()
        t.join()
    check(show(c, "ActiveState")["ActiveState"] == "active", "not active after the reload")
    journal = c.sh(["journalctl", "-u", "logagent", "-o", "cat", "--no-pager"]).stdout
    check("reload: reading /etc/logagent/logagent.yaml" in journal, "no reload in the journal")
    wait_delivered(c, "app", app)
    wait_delivered(c, "extra", extra)
    log(f"reload: pipeline extra added ({len(extra.lines)} lines delivered); app "
        f"{len(app.lines)} lines in = out while reloading")


def stop_drains(c: ns.Container, app: Log) -> None:
    app.write(2000)
    # Lines not read yet at SIGTERM stay unread (and are read at the next start): wait until
    # the agent has read them, not until it delivered them, then stop at once.
    wait_for(lambda: metric(c, "logagent_input_lines_total", "app") >= len(app.lines),
             "the agent read every line")
    c.sh(["systemctl", "stop", "logagent"], timeout=60)
    p = show(c, "ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    check(p["ActiveState"] == "inactive" and p["Result"] == "success" and
          p["ExecMainStatus"] == "0", f"after stop: {p}")
    wait_delivered(c, "app", app)
    ckpt = checkpoint_offset(c, "app", APP_LOG)
    size = os.path.getsize(app.host_path)
    check(ckpt == size, f"checkpoint of {APP_LOG} at {ckpt}, file size {size}")
    journal = c.sh(["journalctl", "-u", "logagent", "-o", "cat", "--no-pager"]).stdout
    check("checkpoint not written" not in journal, "the journal says a checkpoint was not written")
    denied = [ln for ln in journal.splitlines() if "not permitted" in ln or "denied" in ln]
    check(not denied, f"the sandbox refused something: {denied[:3]}")
    log(f"stop: exit 0, {len(app.lines)} lines delivered, checkpoint at the file's end ({size} B)")


def checkpoint_offset(c: ns.Container, pipeline: str, path: str) -> int:
    """The offset of `path` in a pipeline's checkpoint (format: agent/checkpoint/)."""
    with open(c.path(f"/var/lib/logagent/{pipeline}.checkpoint"), encoding="utf-8") as f:
        for ln in f:
            parts = ln.rstrip("\n").split(" ", 6)
            if len(parts) == 7 and parts[6] == path:
                return int(parts[4])
    return -1


def restart(c: ns.Container, app: Log, extra: Log) -> None:
    app.write(500)
    c.sh(["systemctl", "start", "logagent"])
    wait_delivered(c, "app", app)
    wait_delivered(c, "extra", extra)
    c.sh(["systemctl", "stop", "logagent"], timeout=60)
    log("restart: the 500 lines written while stopped delivered, none twice")


def security(c: ns.Container) -> None:
    out = c.sh(["systemd-analyze", "security", "logagent", "--no-pager"]).stdout
    overall = [ln for ln in out.splitlines() if "Overall exposure level" in ln]
    check(len(overall) == 1, f"no overall exposure in:\n{out}")
    score = float(overall[0].split(":")[1].split()[0])
    worst = []
    for ln in out.splitlines():
        words = ln.split()
        if ln.startswith("✗") and words[-1].replace(".", "", 1).isdigit():
            worst.append((float(words[-1]), words[1]))
    worst.sort(reverse=True)
    log(f"security: {overall[0].strip()}")
    log("security: worst items: " + ", ".join(f"{n} {s}" for s, n in worst[:8]))
    check(score <= MAX_EXPOSURE, f"exposure {score} is above {MAX_EXPOSURE}")


def find_deb(args: argparse.Namespace) -> str:
    if args.deb:
        return args.deb
    binary = os.path.join(args.build_dir, "logagent")
    debs = sorted(glob.glob(os.path.join(args.build_dir, "logagent_*.deb")), key=os.path.getmtime)
    if debs and (not os.path.exists(binary) or
                 os.path.getmtime(debs[-1]) >= os.path.getmtime(binary)):
        return debs[-1]
    log(f"deb: none newer than {binary}: cpack -G DEB in {args.build_dir}")
    subprocess.run(["cpack", "-G", "DEB"], cwd=args.build_dir, check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    return sorted(glob.glob(os.path.join(args.build_dir, "logagent_*.deb")),
                  key=os.path.getmtime)[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build", help="where the .deb is, or is built by cpack")
    ap.add_argument("--deb", help="the .deb to test (default: the newest in --build-dir)")
    ap.add_argument("--cache-dir", default=os.path.expanduser("~/.cache/logagent"))
    args = ap.parse_args()
    t0 = time.monotonic()
    timings: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def phase(name: str):
        start = time.monotonic()
        yield
        timings.append((name, time.monotonic() - start))
        print(f"PASS {name} ({timings[-1][1]:.1f} s)", flush=True)

    try:
        ns.preflight()
        deb = find_deb(args)
        log(f"deb: {deb}")
        with phase("rootfs (mmdebstrap, or the cache)"):
            tarball = ns.rootfs_tarball(["systemd", "dbus"] + ns.deb_depends(deb), args.cache_dir)
        with phase("boot (systemd-nspawn --boot)"):
            c = ns.Container(tarball, f"logagent-test-{os.getpid()}").__enter__()
        try:
            app, extra = Log(c, APP_LOG, "app"), Log(c, EXTRA_LOG, "extra")
            for name, step in (("install: dpkg -i, READY=1", lambda: install(c, deb)),
                               ("read: root-only 0600 log, CAP_DAC_READ_SEARCH only",
                                lambda: read_root_only(c, app)),
                               ("reload: systemctl reload adds a pipeline, loses nothing",
                                lambda: reload(c, app, extra)),
                               ("stop: systemctl stop drains, checkpoint at the end",
                                lambda: stop_drains(c, app)),
                               ("restart: lines written while stopped, none twice",
                                lambda: restart(c, app, extra)),
                               ("security: systemd-analyze security", lambda: security(c))):
                with phase(name):
                    step()
        except Failure:
            tail = c.sh(["journalctl", "-u", "logagent", "-n", "40", "--no-pager"], check=False)
            print(f"--- journal of logagent.service:\n{tail.stdout}", flush=True)
            raise
        finally:
            with phase("poweroff and cleanup"):
                c.close()
    except Skip as e:
        print(f"SKIP systemd_nspawn: {e}", flush=True)
        return 0
    except (Failure, subprocess.CalledProcessError) as e:
        print(f"FAIL systemd_nspawn: {e}", flush=True)
        return 1
    print("timings: " + ", ".join(f"{n.split(':')[0]} {s:.1f} s" for n, s in timings))
    print(f"systemd_nspawn: {len(timings)} passed, 0 failed ({time.monotonic() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
