"""A minimal Debian rootfs booted with `systemd-nspawn --boot`, for the tests of tests/system/.

The rootfs is made by mmdebstrap (variant minbase, the suite below, this machine's apt sources)
with the packages a test asks for, and cached as a tarball under ~/.cache/logagent/, keyed by the
suite, the package list and the apt sources: a second run only unpacks it. Each run boots a fresh
copy in a temporary directory and deletes it afterwards.

The host need not run systemd: the container is started with `--register=no --keep-unit` (no
systemd-machined, no transient scope on the host's bus) and `--private-network` (its own
loopback: its ports never collide with the host's). Commands run inside through `nsenter` into
the container's leader (its PID 1, systemd), so `systemctl`, `journalctl` and `systemd-analyze`
talk to the container's own systemd.

Skip: raised when the machine lacks what booting needs (root, the tools, a kernel and cgroup
setup that systemd-nspawn accepts); its message names what is missing and, when a command
refused, the command and its error."""

import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

SUITE = "bookworm"
VARIANT = "minbase"
CONTAINER_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


class Skip(Exception):
    """The machine cannot run the test; the message says why."""


class Failure(Exception):
    """A check failed; the message says which."""


def log(msg: str) -> None:
    print(f"[nspawn] {msg}", flush=True)


def run(cmd: list[str], timeout: float = 120, check: bool = True,
        input_text: str | None = None) -> subprocess.CompletedProcess:
    """Runs cmd, capturing its output as text; a non-zero exit raises Failure when check."""
    try:
        p = subprocess.run(cmd, input=input_text, capture_output=True, text=True,
                           timeout=timeout, stdin=None if input_text is not None else
                           subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"timed out after {timeout:.0f} s: {' '.join(cmd)}") from e
    if check and p.returncode != 0:
        raise Failure(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p


def preflight() -> None:
    """Raises Skip when this machine cannot boot a container at all."""
    if os.geteuid() != 0:
        raise Skip("systemd-nspawn and mmdebstrap need root; this test runs as uid "
                   f"{os.geteuid()}")
    for tool, package in (("systemd-nspawn", "systemd-container"), ("mmdebstrap", "mmdebstrap"),
                          ("nsenter", "util-linux"), ("dpkg-deb", "dpkg"), ("curl", "curl")):
        if shutil.which(tool) is None:
            raise Skip(f"{tool} is not installed (Debian package {package}; "
                       "packaging/bootstrap.sh installs it)")


def deb_depends(deb: str) -> list[str]:
    """The package names of the .deb's Depends (the first of each alternative)."""
    field = run(["dpkg-deb", "--field", deb, "Depends"]).stdout
    names = []
    for dep in field.split(","):
        name = dep.split("|")[0].split("(")[0].strip()
        if name:
            names.append(name)
    return names


def apt_sources() -> list[str]:
    """This machine's apt source files for the suite (mmdebstrap takes them as mirrors)."""
    files = sorted(glob.glob("/etc/apt/sources.list.d/*.sources")) + \
        sorted(glob.glob("/etc/apt/sources.list.d/*.list")) + ["/etc/apt/sources.list"]
    found = []
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if any(SUITE in ln for ln in lines):
            found.append(path)
    if not found:
        raise Skip(f"no apt source of this machine names {SUITE} (/etc/apt/sources.list*): "
                   "mmdebstrap has no mirror to use")
    return found


def rootfs_tarball(packages: list[str], cache_dir: str) -> str:
    """The cached rootfs tarball with these packages, made by mmdebstrap when missing."""
    sources = apt_sources()
    key_text = json.dumps({"suite": SUITE, "variant": VARIANT, "packages": sorted(set(packages)),
                           "sources": [open(s, encoding="utf-8").read() for s in sources]})
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, f"nspawn-rootfs-{SUITE}-{key}.tar")
    if os.path.exists(path):
        log(f"rootfs: cached {path} ({os.path.getsize(path) >> 20} MiB)")
        return path
    tmp = f"{path[:-len('.tar')]}.tmp-{os.getpid()}.tar"
    cmd = ["mmdebstrap", f"--variant={VARIANT}", "--format=tar", "--quiet",
           f"--include={','.join(sorted(set(packages)))}", SUITE, tmp] + sources
    log(f"rootfs: {' '.join(cmd)}")
    t0 = time.monotonic()
    try:
        run(cmd, timeout=900)
        os.rename(tmp, path)  # only a complete tarball enters the cache
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for old in glob.glob(os.path.join(cache_dir, "nspawn-rootfs-*.tar")):
        if old != path and ".tmp-" not in old:
            os.unlink(old)  # another package list: keep one tarball, not one per change
    log(f"rootfs: made in {time.monotonic() - t0:.1f} s ({os.path.getsize(path) >> 20} MiB), "
        f"cached as {path}")
    return path


class Container:
    """A booted copy of a rootfs tarball; use it as a context manager (it powers off and is
    deleted on exit)."""

    def __init__(self, tarball: str, name: str):
        self.tarball = tarball
        self.name = name
        self.workdir = tempfile.mkdtemp(prefix="logagent-nspawn-", dir="/var/tmp")
        self.root = os.path.join(self.workdir, "root")
        self.console = os.path.join(self.workdir, "nspawn.log")
        self.proc: subprocess.Popen | None = None
        self.leader = 0

    def __enter__(self) -> "Container":
        try:
            self.boot()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def path(self, container_path: str) -> str:
        """The host path of a path inside the container (its rootfs is a plain directory)."""
        return os.path.join(self.root, container_path.lstrip("/"))

    def boot(self, timeout: float = 120) -> None:
        os.makedirs(self.root)
        t0 = time.monotonic()
        run(["tar", "-xf", self.tarball, "-C", self.root], timeout=300)
        log(f"boot: unpacked the rootfs in {time.monotonic() - t0:.1f} s")
        cmd = ["systemd-nspawn", "--boot", "--directory", self.root, "--machine", self.name,
               "--register=no", "--keep-unit", "--private-network", "--console=pipe"]
        t0 = time.monotonic()
        with open(self.console, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = t0 + timeout
        while self.leader == 0:
            self._refused(cmd)
            self.leader = self._find_leader()
            if time.monotonic() > deadline:
                raise Failure(f"no container leader after {timeout:.0f} s: {' '.join(cmd)}")
            time.sleep(0.1)
        while True:
            self._refused(cmd)
            state = self.sh(["systemctl", "is-system-running", "--wait"], check=False,
                            timeout=max(1.0, deadline - time.monotonic())).stdout.strip()
            if state in ("running", "degraded"):
                break
            if time.monotonic() > deadline:
                raise Failure(f"systemd in the container is '{state}' after {timeout:.0f} s")
            time.sleep(0.2)
        if state == "degraded":
            failed = self.sh(["systemctl", "--failed", "--no-legend", "--plain"], check=False)
            log(f"boot: degraded (failed units: {failed.stdout.strip()})")
        log(f"boot: systemd {state} in {time.monotonic() - t0:.1f} s "
            f"(leader pid {self.leader}, {' '.join(cmd)})")

    def _refused(self, cmd: list[str]) -> None:
        assert self.proc is not None
        rc = self.proc.poll()
        if rc is not None:
            with open(self.console, "rb") as f:
                out = f.read().decode(errors="replace").strip()
            raise Skip(f"systemd-nspawn could not boot the container on this machine:\n"
                       f"  $ {' '.join(cmd)}\n  exit {rc}: {out[-2000:]}")

    def _find_leader(self) -> int:
        """The container's PID 1: nspawn's child that is pid 1 in its own pid namespace."""
        assert self.proc is not None
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status", encoding="utf-8") as f:
                    status = dict(ln.split(":", 1) for ln in f.read().splitlines() if ":" in ln)
            except OSError:
                continue
            nspid = status.get("NSpid", "").split()
            if status.get("PPid", "").strip() == str(self.proc.pid) and nspid[-1:] == ["1"] \
                    and len(nspid) > 1:
                return int(entry)
        return 0

    def sh(self, cmd: list[str], timeout: float = 120, check: bool = True,
           input_text: str | None = None) -> subprocess.CompletedProcess:
        """Runs cmd inside the container (every namespace of its PID 1, its root, a clean
        environment)."""
        return run(["nsenter", "--target", str(self.leader), "--all", "env", "-i",
                    f"PATH={CONTAINER_PATH}", "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0",
                    *cmd], timeout=timeout, check=check, input_text=input_text)

    def net(self, cmd: list[str], timeout: float = 30,
            check: bool = True) -> subprocess.CompletedProcess:
        """Runs a host command in the container's network namespace only (e.g. the host's curl
        against the container's loopback)."""
        return run(["nsenter", f"--net=/proc/{self.leader}/ns/net", *cmd], timeout=timeout,
                   check=check)

    def close(self) -> None:
        """Powers the container off (SIGTERM to nspawn halts it cleanly), then deletes it."""
        if self.proc is not None and self.proc.poll() is None:
            t0 = time.monotonic()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
                log(f"poweroff: container halted in {time.monotonic() - t0:.1f} s")
            except subprocess.TimeoutExpired:
                log("poweroff: no halt after 60 s: SIGKILL to systemd-nspawn")
                self.proc.kill()
                self.proc.wait(timeout=30)
        propagate = f"/run/systemd/nspawn/propagate/{self.name}"
        if os.path.isdir(propagate) and not os.listdir(propagate):
            os.rmdir(propagate)
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            mounted = [ln for ln in f if f" {self.workdir}" in ln]
        if mounted:
            log(f"cleanup: {self.workdir} still has mounts; left in place")
            return
        shutil.rmtree(self.workdir, ignore_errors=True)
