"""Podman for the system tests: a private image store, Debian base images made locally, and a
probe of what this machine lets a container do (Python standard library only).

No registry is reachable here, so the Dockerfile's FROM images (debian:bookworm and
debian:bookworm-slim) are made with mmdebstrap from the machine's own apt sources and imported
under the names Docker gives them (docker.io/library/debian:...). The tarballs are cached in
~/.cache/logagent/container-base/, keyed by the apt sources and the Date of their InRelease files
(the archive snapshot apt last saw), so a second run does not bootstrap again.

Everything happens in a store of its own (~/.cache/logagent/podman/): the base images imported
here never replace a real debian:bookworm of the machine's podman, and the build cache (the
Dockerfile's dependency layer) survives from one run to the next.
"""

from __future__ import annotations

import glob
import hashlib
import os
import resource
import shutil
import subprocess
import time

CACHE = os.path.join(os.path.expanduser("~"), ".cache", "logagent")
SOURCES_DIR = "/etc/apt/sources.list.d"
APT_LISTS = "/var/lib/apt/lists"
KEY_LABEL = "org.logagent.base-snapshot"

# debuerreotype's slimify list, as the official debian:*-slim images have it: no manuals, no
# documentation but the copyrights, no translations. mmdebstrap keeps these dpkg options in the
# image (/etc/dpkg/dpkg.cfg.d/99mmdebstrap), so packages installed later are slim too.
SLIM_DPKG_OPTS = [
    "path-exclude=/usr/share/man/*", "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*", "path-include=/usr/share/locale/locale.alias",
    "path-exclude=/usr/share/lintian/*", "path-exclude=/usr/share/linda/*",
]
BASES = {  # the Dockerfile's FROM names -> mmdebstrap options beyond COMMON_OPTS
    "docker.io/library/debian:bookworm": [],
    "docker.io/library/debian:bookworm-slim": [f"--dpkgopt={o}" for o in SLIM_DPKG_OPTS],
}
# Like the official images: merged /usr by symlinks (not by installing usrmerge, which pulls
# in perl), and apt told to keep no .deb nor cache files, as their docker-clean does (written
# into the image by a hook: apt options given to mmdebstrap would run on the host too).
COMMON_OPTS = ["--variant=minbase", "--mode=root", "--format=tar",
               "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
               # else mmdebstrap's final `apt-get update` leaves 70 MB of *pkgcache.bin
               "--aptopt=Dir::Cache::pkgcache \"\"", "--aptopt=Dir::Cache::srcpkgcache \"\""]
APT_CONF = """\
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
"""


class Unavailable(Exception):
    """The machine cannot do this; the message names the command and its error."""


def run(argv: list[str], timeout: float = 600, check: bool = True,
        **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise subprocess.CalledProcessError(r.returncode, argv, r.stdout, r.stderr)
    return r


def describe(argv: list[str], r: subprocess.CompletedProcess | subprocess.CalledProcessError,
             ) -> str:
    err = (r.stderr or r.stdout or "").strip().splitlines()
    return f"`{' '.join(argv)}` exited with {r.returncode}: {' / '.join(err[-3:])}"


def snapshot_key() -> tuple[str, list[str]]:
    """(key, the apt sources files): a hash of the sources and of the Date: of every InRelease
    apt has fetched, and of how the images are made. A changed archive, sources list or recipe
    makes a new key."""
    sources = sorted(glob.glob(os.path.join(SOURCES_DIR, "*.sources")) +
                     glob.glob(os.path.join(SOURCES_DIR, "*.list")))
    if os.path.exists("/etc/apt/sources.list"):
        sources.append("/etc/apt/sources.list")
    h = hashlib.sha256(repr((BASES, COMMON_OPTS, APT_CONF)).encode())
    for path in sources:
        h.update(path.encode() + b"\0" + open(path, "rb").read())
    for path in sorted(glob.glob(os.path.join(APT_LISTS, "*InRelease"))):
        for line in open(path, "rb"):
            if line.startswith(b"Date:"):
                h.update(os.path.basename(path).encode() + line)
                break
    return h.hexdigest()[:16], sources


def base_tarball(name: str, key: str, sources: list[str], log) -> str:
    """The mmdebstrap tarball of base image `name` for snapshot `key`: from the cache, or made
    (and older ones of the same image deleted)."""
    flavour = name.rsplit(":", 1)[1]
    cache_dir = os.path.join(CACHE, "container-base")
    path = os.path.join(cache_dir, f"{flavour}-{key}.tar.zst")
    if os.path.exists(path):
        log(f"base {name}: cached {path}")
        return path
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp.tar.zst"
    conf = f"{path}.{os.getpid()}.docker-clean"
    with open(conf, "w") as f:
        f.write(APT_CONF)
    argv = ["mmdebstrap", *COMMON_OPTS, *BASES[name],
            f"--customize-hook=upload {conf} /etc/apt/apt.conf.d/docker-clean",
            "bookworm", tmp, *sources]
    t0 = time.monotonic()
    try:
        run(argv, timeout=1200)
    except subprocess.CalledProcessError as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise Unavailable(describe(argv, err)) from None
    finally:
        os.unlink(conf)
    os.replace(tmp, path)
    for old in glob.glob(os.path.join(cache_dir, f"{flavour}-*.tar.zst")):
        if old != path:
            os.unlink(old)
    log(f"base {name}: mmdebstrap in {time.monotonic() - t0:.1f} s -> {path} "
        f"({os.path.getsize(path) / 2**20:.0f} MiB)")
    return path


def ulimits() -> list[str]:
    """Explicit limits for every container: without them podman asks for RLIMIT_NOFILE 1048576
    and a process limit above this process's own, which fails without CAP_SYS_RESOURCE."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = 32768 if nproc == resource.RLIM_INFINITY else min(nproc, 32768)
    return ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", f"nproc={nproc}:{nproc}"]


class Podman:
    """podman on a private store; `runtime` is set by probe()."""

    def __init__(self, log, driver: str = "overlay"):
        self.log = log
        self.driver = driver
        self.root = os.path.join(CACHE, "podman", driver)
        run_dir = os.path.join("/run", "logagent-podman", driver)
        self.globals = ["--root", self.root, "--runroot", os.path.join(run_dir, "storage"),
                        "--tmpdir", os.path.join(run_dir, "libpod"), "--storage-driver", driver,
                        "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
        self.runtime: str | None = None

    def argv(self, *args: str) -> list[str]:
        return ["podman", *self.globals, *args]

    def __call__(self, *args: str, timeout: float = 600, check: bool = True,
                 ) -> subprocess.CompletedProcess:
        return run(self.argv(*args), timeout=timeout, check=check)

    def runtime_args(self) -> list[str]:
        return (["--runtime", self.runtime] if self.runtime else []) + ulimits()

    def ensure_bases(self) -> None:
        """Imports the base images unless the store has them for this snapshot already (a
        new import would be a new image, and the build cache would start over)."""
        key, sources = snapshot_key()
        for name in BASES:
            r = self("image", "inspect", "--format", "{{index .Labels \"%s\"}}" % KEY_LABEL,
                     name, check=False)
            if r.returncode == 0 and r.stdout.strip() == key:
                self.log(f"base {name}: in the store (snapshot {key})")
                continue
            tar = base_tarball(name, key, sources, self.log)
            imported = f"localhost/logagent-base-import:{name.rsplit(':', 1)[1]}"
            argv = self.argv("import", "--change", 'CMD ["bash"]', tar, imported)
            r = run(argv, check=False, timeout=600)
            if r.returncode != 0:
                raise Unavailable(describe(argv, r))
            self.relabel(imported, name, key)
            self.log(f"base {name}: imported (snapshot {key})")

    def relabel(self, imported: str, name: str, key: str) -> None:
        """`name`: `imported` plus the snapshot label, through a one-line build. podman 4.3
        never finds a cached step in a build FROM an imported image (its history is the
        import's single entry), but does FROM one it built."""
        ctx_dir = os.path.join(self.root, "relabel")
        os.makedirs(ctx_dir, exist_ok=True)
        with open(os.path.join(ctx_dir, "Containerfile"), "w") as f:
            f.write(f"FROM {imported}\nLABEL {KEY_LABEL}={key}\n")
        argv = self.argv("build", "--pull=never", "--format", "docker", "-t", name, ctx_dir)
        r = run(argv, check=False, timeout=600)
        if r.returncode != 0:
            raise Unavailable(describe(argv, r))
        self("untag", imported, check=False)

    def probe(self, image: str) -> None:
        """Finds a runtime that starts a container here: podman's default (crun), then runc
        (crun refuses a hybrid cgroup v1/v2 hierarchy with a controller on the v2 side).
        Raises Unavailable with every attempt's error when none does."""
        errors = []
        for runtime in [None, "runc"]:
            if runtime and not shutil.which(runtime):
                errors.append(f"{runtime}: not installed")
                continue
            self.runtime = runtime
            argv = self.argv("run", "--rm", "--network=host", *self.runtime_args(), image,
                             "true")
            r = run(argv, check=False, timeout=120)
            if r.returncode == 0:
                for failed in errors:
                    self.log(f"probe: {failed}")
                self.log(f"containers run here with runtime {runtime or 'default (crun)'}, "
                         f"storage {self.driver}, cgroup manager cgroupfs, network host")
                return
            errors.append(describe(argv, r))
        self.runtime = None
        raise Unavailable("no runtime starts a container:\n  " + "\n  ".join(errors))
