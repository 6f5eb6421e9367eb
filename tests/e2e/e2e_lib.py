"""Shared helpers for the end-to-end tests of logagent (Python standard library only).

Every test script is run by ctest as

    python3 tests/e2e/test_<name>.py --logagent PATH --source-dir REPO

and passes when it exits 0. A test builds a private temporary directory, writes log files and a
configuration into it, drives the real binary, then compares what it wrote with what the file
sink delivered, line by line, and prints counts such as

    written=1200 delivered=1200 missing=0 duplicates=0 out_of_order=0

On failure the temporary directory is kept (its path is printed) and the agent's stderr is shown.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import shutil
import signal as sig_mod
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from typing import Callable, Iterable

SUMMARY_RE = re.compile(
    rb"logagent: done: (\d+) lines, (\d+) bytes read, (\d+) acknowledged, (\d+) failed, "
    rb"([0-9.]+) s")


class TestFailure(Exception):
    """A check failed; the message says what and why."""


def check(cond: bool, message: str) -> None:
    if not cond:
        raise TestFailure(message)


def log(*parts: object) -> None:
    print(*parts, flush=True)


# --------------------------------------------------------------------------------------------
# Test harness


class Context:
    """What every test gets: the binary, the source tree and a private temporary directory."""

    def __init__(self, name: str, args: argparse.Namespace):
        self.name = name
        self.logagent = os.path.abspath(args.logagent)
        self.source_dir = os.path.abspath(args.source_dir)
        self.keep = args.keep
        self.dir = tempfile.mkdtemp(prefix=f"logagent-e2e-{name}-")
        self.agents: list[Agent] = []

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    def mkdir(self, *parts: str) -> str:
        p = self.path(*parts)
        os.makedirs(p, exist_ok=True)
        return p

    def agent(self, config_path: str, once: bool = False, label: str = "agent",
              env: dict | None = None) -> "Agent":
        a = Agent(self, config_path, once=once, label=label, env=env)
        self.agents.append(a)
        return a

    def run_once(self, config_path: str, timeout: float = 60, label: str = "once") -> "Agent":
        """Runs `logagent run --once` to completion; fails on timeout or a non-zero exit."""
        a = self.agent(config_path, once=True, label=label).start()
        rc = a.wait(timeout)
        check(rc is not None, f"{label}: logagent run --once did not exit within {timeout:.0f} s")
        check(rc == 0, f"{label}: logagent run --once exited with {rc}")
        return a

    def cleanup(self, ok: bool) -> None:
        for a in self.agents:
            a.kill_if_running()
        if ok and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log(f"[{self.name}] temporary directory kept: {self.dir}")


def main(name: str, body: Callable[[Context], None]) -> None:
    """Parses the standard arguments, runs `body(ctx)`, reports PASS/FAIL and exits."""
    parser = argparse.ArgumentParser(description=f"logagent end-to-end test: {name}")
    parser.add_argument("--logagent", required=True, help="path to the logagent binary")
    parser.add_argument("--source-dir", required=True, help="root of the source tree")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if not os.access(args.logagent, os.X_OK):
        log(f"FAIL {name}: {args.logagent} is not an executable")
        sys.exit(1)
    ctx = Context(name, args)
    started = time.monotonic()
    ok = False
    try:
        body(ctx)
        ok = True
    except TestFailure as e:
        log(f"FAIL {name}: {e}")
    except Exception:  # a bug in the test itself, or an unexpected agent behaviour
        traceback.print_exc()
        log(f"FAIL {name}: unexpected exception (see traceback above)")
    finally:
        if not ok:
            for a in ctx.agents:
                a.dump_stderr()
        ctx.cleanup(ok)
    elapsed = time.monotonic() - started
    if ok:
        log(f"PASS {name} ({elapsed:.1f} s)")
        sys.exit(0)
    sys.exit(1)


# --------------------------------------------------------------------------------------------
# Configuration


def _yaml_scalar(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    # A JSON string literal is a valid YAML double-quoted scalar.
    return json.dumps(str(v))


def _yaml_lines(v: object, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(v, dict):
        for k, item in v.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{k}:")
                out.extend(_yaml_lines(item, indent + 2))
            elif isinstance(item, list):
                out.append(f"{pad}{k}: []")
            elif isinstance(item, dict):
                out.append(f"{pad}{k}: {{}}")
            else:
                out.append(f"{pad}{k}: {_yaml_scalar(item)}")
    elif isinstance(v, list):
        for item in v:
            if isinstance(item, (dict, list)) and item:
                sub = _yaml_lines(item, indent + 2)
                out.append(f"{pad}- {sub[0].lstrip()}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        out.append(pad + _yaml_scalar(v))
    return out


def to_yaml(config: dict) -> str:
    return "\n".join(_yaml_lines(config, 0)) + "\n"


def write_config(path: str, config: dict) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_yaml(config))
    return path


def make_config(ctx: Context, *, paths: list[str], sinks: list[dict], name: str = "app",
                workers: int = 2, metrics_port: int | None = None, data_dir: str | None = None,
                buffer_pool: str | None = None, chunk_size: str | None = None,
                input_extra: dict | None = None, top_extra: dict | None = None,
                file_name: str = "config.yaml") -> str:
    """Writes a one-pipeline configuration into the test directory and returns its path."""
    cfg: dict = {
        "data_dir": data_dir or ctx.path("data"),
        "metrics": {"listen": f"127.0.0.1:{metrics_port}" if metrics_port else ""},
    }
    memory = {}
    if buffer_pool:
        memory["buffer_pool"] = buffer_pool
    if chunk_size:
        memory["chunk_size"] = chunk_size
    if memory:
        cfg["memory"] = memory
    cfg["checkpoint_interval"] = "500ms"
    cfg["shutdown_timeout"] = "10s"
    if top_extra:
        cfg.update(top_extra)
    inp = {"type": "tail", "paths": paths, "read_from": "head"}
    if input_extra:
        inp.update(input_extra)
    cfg["pipelines"] = [{"name": name, "workers": workers, "input": inp, "sinks": sinks}]
    return write_config(ctx.path(file_name), cfg)


class Background:
    """Calls step() every `period` seconds on a daemon thread until stop(), which re-raises
    the error step() ended with, if any."""

    def __init__(self, step: Callable[[], None], period: float):
        self.step = step
        self.period = period
        self.stop_flag = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        try:
            while not self.stop_flag.is_set():
                self.step()
                time.sleep(self.period)
        except BaseException as err:  # reported by stop()
            self.error = err

    def start(self) -> "Background":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join()
        if self.error:
            raise self.error


def file_sink(path: str, fmt: str = "json") -> dict:
    return {"type": "file", "path": path, "format": fmt}


def null_sink() -> dict:
    return {"type": "null"}


# --------------------------------------------------------------------------------------------
# Running the agent


class Agent:
    """One logagent process; stderr goes to a file in the test directory."""

    def __init__(self, ctx: Context, config_path: str, once: bool, label: str,
                 env: dict | None):
        self.ctx = ctx
        self.label = label
        self.argv = [ctx.logagent, "run", "-c", config_path] + (["--once"] if once else [])
        self.env = dict(os.environ, **(env or {}))
        n = sum(1 for a in ctx.agents if a.label == label)
        self.stderr_path = ctx.path(f"{label}{'-' + str(n) if n else ''}.stderr")
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self.rusage = None
        self.started_at = 0.0
        self.ended_at = 0.0

    def start(self, track_memory: bool = False) -> "Agent":
        """`track_memory`: poll /proc/PID/status for VmHWM (the agent's own peak RSS) every
        5 ms. wait4's ru_maxrss cannot be used alone: a child spawned from Python starts out
        with the Python process's RSS as its high-water mark (Linux carries it over exec)."""
        self._stderr = open(self.stderr_path, "wb")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self._stderr,
                                     cwd=self.ctx.dir, env=self.env)
        self.hwm = 0
        self.hwm_samples = 0
        if track_memory:
            threading.Thread(target=self._poll_hwm, daemon=True).start()
        return self

    def _poll_hwm(self) -> None:
        status = f"/proc/{self.proc.pid}/status"
        exe = os.path.realpath(self.argv[0])
        while self.returncode is None:
            try:
                # Only once the exec happened (before it the status is Python's).
                if os.path.realpath(f"/proc/{self.proc.pid}/exe") == exe:
                    with open(status) as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                self.hwm = max(self.hwm, int(line.split()[1]) * 1024)
                                self.hwm_samples += 1
                                break
            except (OSError, ValueError):
                pass  # exited (or a zombie without an mm)
            time.sleep(0.005)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def poll(self) -> int | None:
        """Reaps the process if it has exited (keeping its own rusage); None while running."""
        if self.returncode is not None:
            return self.returncode
        assert self.proc is not None
        pid, status, rusage = os.wait4(self.proc.pid, os.WNOHANG)
        if pid == 0:
            return None
        self.ended_at = time.monotonic()
        self.rusage = rusage
        self.returncode = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.returncode  # so Popen never waits again
        self._stderr.close()
        return self.returncode

    def running(self) -> bool:
        return self.poll() is None

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            rc = self.poll()
            if rc is not None or time.monotonic() >= deadline:
                return rc
            time.sleep(0.01)

    def send_signal(self, sig: int) -> None:
        if self.running():
            os.kill(self.pid, sig)

    def pause(self) -> None:
        """SIGSTOP, and waits until every thread of the agent is stopped (the signal is
        delivered asynchronously): nothing it does can race with what the caller does next."""
        os.kill(self.pid, sig_mod.SIGSTOP)

        def stopped() -> bool:
            for tid in os.listdir(f"/proc/{self.pid}/task"):
                try:
                    with open(f"/proc/{self.pid}/task/{tid}/stat") as f:
                        state = f.read().rsplit(")", 1)[1].split()[0]
                except OSError:
                    continue
                if state not in ("T", "t"):
                    return False
            return True
        wait_for(stopped, 10, "the agent stopped by SIGSTOP", interval=0.001)

    def resume(self) -> None:
        os.kill(self.pid, sig_mod.SIGCONT)

    def stop(self, timeout: float = 20, sig: int = sig_mod.SIGTERM) -> int:
        """Sends `sig` (SIGTERM) and waits; fails unless the agent exits 0 in time."""
        self.send_signal(sig)
        t0 = time.monotonic()
        rc = self.wait(timeout)
        check(rc is not None,
              f"{self.label}: did not exit within {timeout:.0f} s of {sig_mod.Signals(sig).name}")
        log(f"[{self.label}] exited {rc} {time.monotonic() - t0:.2f} s after "
            f"{sig_mod.Signals(sig).name}")
        check(rc == 0, f"{self.label}: exited with {rc} after {sig_mod.Signals(sig).name} "
                       "(expected 0)")
        return rc

    def kill9(self) -> None:
        self.send_signal(sig_mod.SIGKILL)
        rc = self.wait(10)
        check(rc is not None, f"{self.label}: still running 10 s after SIGKILL")

    def kill_if_running(self) -> None:
        if self.proc is not None and self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, sig_mod.SIGKILL)
            self.wait(10)

    def stderr_bytes(self) -> bytes:
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def summary(self) -> dict:
        """The --once summary line as numbers; fails if it is absent."""
        m = SUMMARY_RE.search(self.stderr_bytes())
        check(m is not None, f"{self.label}: no 'logagent: done: ...' summary line on stderr")
        return {"lines": int(m.group(1)), "bytes": int(m.group(2)), "acked": int(m.group(3)),
                "failed": int(m.group(4)), "seconds": float(m.group(5))}

    def maxrss_bytes(self) -> int:
        """wait4's ru_maxrss: an upper bound (it includes the spawning Python's RSS)."""
        check(self.rusage is not None, f"{self.label}: no rusage (process not reaped)")
        return int(self.rusage.ru_maxrss) * 1024  # Linux reports KiB

    def peak_rss_bytes(self) -> int:
        """The agent's own peak RSS, from VmHWM polling (start(track_memory=True))."""
        check(self.hwm_samples > 0, f"{self.label}: no VmHWM sample (ran too briefly?)")
        return self.hwm

    def dump_stderr(self, limit: int = 4000) -> None:
        data = self.stderr_bytes()
        if not data:
            return
        text = data.decode("utf-8", "replace")
        if len(text) > limit:
            text = "...\n" + text[-limit:]
        log(f"--- stderr of {self.label} ({self.stderr_path}) ---\n{text.rstrip()}\n---")


def wait_for(cond: Callable[[], bool], timeout: float, what: str,
             interval: float = 0.05, agent: Agent | None = None) -> float:
    """Polls `cond` until it holds; returns the seconds waited. Fails with `what` on timeout,
    or early if `agent` exits meanwhile."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while True:
        if cond():
            return time.monotonic() - t0
        if agent is not None and not agent.running():
            raise TestFailure(f"{agent.label} exited with {agent.returncode} while waiting for: "
                              f"{what}")
        if time.monotonic() >= deadline:
            raise TestFailure(f"timed out after {timeout:.0f} s waiting for: {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Metrics


def http(port: int, path: str, method: str = "GET") -> tuple[int, str]:
    """(status, body) of a request to the agent's listener on 127.0.0.1:`port`."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def wait_pool_returned(port: int, what: str, agent: Agent | None = None,
                       timeout: float = 30) -> None:
    """Waits until the agent's buffer pool is all back (logagent_buffer_pool_in_use 0): after a
    fault has cleared and everything was delivered, no buffer may stay held on any path."""
    last: dict[str, float | None] = {}

    def returned() -> bool:
        m = try_scrape(port)
        last["in_use"] = m.get("logagent_buffer_pool_in_use") if m else None
        return last["in_use"] == 0

    try:
        wait_for(returned, timeout, f"{what}: buffer pool back", interval=0.1, agent=agent)
    except TestFailure as err:
        raise TestFailure(f"{err} (logagent_buffer_pool_in_use = {last.get('in_use')})") from None


def as_user(uid: int) -> list[str]:
    """A command prefix that runs the agent as `uid` (and gid), no groups, no capabilities."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    """A parsed Prometheus text exposition."""

    def __init__(self, text: str):
        self.text = text
        self.samples: list[tuple[str, dict, float]] = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = _SAMPLE_RE.match(line)
            if not m:
                continue
            labels = dict(_LABEL_RE.findall(m.group(3) or ""))
            try:
                value = float(m.group(4))
            except ValueError:
                continue
            self.samples.append((m.group(1), labels, value))

    def has(self, name: str) -> bool:
        return any(n == name for n, _, _ in self.samples)

    def get(self, name: str, **labels: str) -> float | None:
        """Sum of the samples of `name` whose labels include `labels`; None if there is none."""
        found = [v for n, l, v in self.samples
                 if n == name and all(l.get(k) == want for k, want in labels.items())]
        return sum(found) if found else None


def scrape(port: int, timeout: float = 2.0) -> Metrics:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
        return Metrics(r.read().decode("utf-8", "replace"))


def try_scrape(port: int) -> Metrics | None:
    try:
        return scrape(port)
    except OSError:
        return None


# --------------------------------------------------------------------------------------------
# Writing input


def write_lines(path: str, lines: Iterable[bytes], final_newline: bool = True,
                mode: str = "wb") -> list[tuple[int, bytes]]:
    """Writes `lines` (without their '\\n') and returns [(offset, line)]."""
    out = []
    buf = bytearray()
    with open(path, mode) as f:
        offset = f.tell()
        lines = list(lines)
        for i, line in enumerate(lines):
            out.append((offset + len(buf), line))
            buf += line
            if final_newline or i + 1 < len(lines):
                buf += b"\n"
        f.write(buf)
    return out


# --------------------------------------------------------------------------------------------
# Reading the file sink


class OutputFollower:
    """Reads a file sink's output incrementally, yielding complete lines only, so it can be
    polled while the agent is still writing."""

    def __init__(self, path: str):
        self.path = path
        self.pos = 0
        self.partial = b""

    def read_new(self) -> list[bytes]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return []
        self.pos += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        return lines


def read_raw_output(path: str) -> tuple[list[bytes], bytes]:
    """All complete lines of a raw file sink output, and a torn tail (bytes after the last
    newline) if any."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return [], b""
    lines = data.split(b"\n")
    tail = lines.pop()
    return lines, tail


TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def parse_json_line(line: bytes, where: str) -> dict:
    """Strict: the line must be UTF-8 and one JSON object with the fields of the json format."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TestFailure(f"{where}: output is not valid UTF-8 ({e}): {line[:200]!r}")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise TestFailure(f"{where}: output is not valid JSON ({e}): {line[:200]!r}")
    check(isinstance(obj, dict), f"{where}: output line is not a JSON object: {line[:200]!r}")
    for key, kind in (("time", str), ("file", str), ("offset", int), ("message", str)):
        check(isinstance(obj.get(key), kind),
              f"{where}: field {key!r} missing or not a {kind.__name__}: {line[:200]!r}")
    check(TIME_RE.fullmatch(obj["time"]) is not None,
          f"{where}: time {obj['time']!r} is not like 2026-11-27T01:02:03.123456Z")
    if "truncated" in obj:
        check(obj["truncated"] is True, f"{where}: 'truncated' present but not true")
    return obj


def read_json_output(path: str, allow_torn_tail: bool = False, quiet: bool = False) -> list[dict]:
    """Every line of a json file sink output, parsed strictly. A torn last line (no newline)
    fails unless `allow_torn_tail` (after kill -9), in which case it is reported and dropped."""
    lines, tail = read_raw_output(path)
    if tail:
        check(allow_torn_tail, f"{path}: output ends with a partial line: {tail[:100]!r}")
        if not quiet:
            log(f"note: {os.path.basename(path)} ends with a torn line of {len(tail)} bytes "
                "(killed mid-write; it is resent after restart)")
    return [parse_json_line(l, f"{os.path.basename(path)}:{i + 1}") for i, l in enumerate(lines)]


# --------------------------------------------------------------------------------------------
# Comparing what was written with what was delivered


def expected_message(line: bytes, max_line: int | None = None) -> tuple[str, bool]:
    """The json "message" the agent must produce for `line`, and whether it is truncated."""
    truncated = max_line is not None and len(line) > max_line
    if truncated:
        line = line[:max_line]
    return line.decode("utf-8", "replace"), truncated


_FFFD_RUN = re.compile("\ufffd+")


def same_text(a: str, b: str) -> bool:
    """Equal, treating any run of U+FFFD as one (decoders may replace an invalid sequence by
    one or by several U+FFFD; both are allowed)."""
    return a == b or _FFFD_RUN.sub("\ufffd", a) == _FFFD_RUN.sub("\ufffd", b)


class Report:
    def __init__(self):
        self.written = 0
        self.delivered = 0
        self.missing: list[str] = []
        self.duplicates = 0
        self.out_of_order: list[str] = []
        self.wrong: list[str] = []

    def line(self) -> str:
        return (f"written={self.written} delivered={self.delivered} "
                f"missing={len(self.missing)} duplicates={self.duplicates} "
                f"out_of_order={len(self.out_of_order)} wrong={len(self.wrong)}")

    def print(self, label: str) -> None:
        log(f"[{label}] {self.line()}")

    def assert_ok(self, label: str, allow_duplicates: bool) -> None:
        problems = []
        if self.missing:
            problems.append(f"{len(self.missing)} line(s) missing, first: "
                            + "; ".join(self.missing[:5]))
        if self.wrong:
            problems.append(f"{len(self.wrong)} line(s) delivered with wrong content, first: "
                            + "; ".join(self.wrong[:3]))
        if self.out_of_order:
            problems.append(f"{len(self.out_of_order)} order violation(s), first: "
                            + "; ".join(self.out_of_order[:5]))
        if self.duplicates and not allow_duplicates:
            problems.append(f"{self.duplicates} duplicate(s) in a run without a crash")
        check(not problems, f"{label}: {self.line()}: " + " | ".join(problems))


def compare_by_offset(written: dict[str, list[tuple[int, bytes]]], runs: list[list[dict]],
                      max_line: int | None = None, allow_duplicates: bool = False) -> Report:
    """`written`: file path -> [(offset, line bytes)] as written; `runs`: the json output of one
    or more agent runs. Each event is matched by (file, offset); its message and truncated flag
    must be what the line requires; per file and per run offsets must increase strictly."""
    r = Report()
    expect: dict[tuple[str, int], bytes] = {}
    for path, lines in written.items():
        for off, line in lines:
            expect[(path, off)] = line
    r.written = len(expect)
    seen: collections.Counter = collections.Counter()
    for run_index, events in enumerate(runs):
        last: dict[str, int] = {}
        for ev in events:
            r.delivered += 1
            key = (ev["file"], ev["offset"])
            line = expect.get(key)
            if line is None:
                r.wrong.append(f"unexpected event file={ev['file']} offset={ev['offset']} "
                               f"message={ev['message'][:60]!r}")
                continue
            seen[key] += 1
            want, trunc = expected_message(line, max_line)
            if not same_text(ev["message"], want):
                r.wrong.append(f"{ev['file']}@{ev['offset']}: got {ev['message'][:80]!r} "
                               f"want {want[:80]!r} (len {len(ev['message'])} vs {len(want)})")
            if bool(ev.get("truncated", False)) != trunc:
                r.wrong.append(f"{ev['file']}@{ev['offset']}: truncated="
                               f"{ev.get('truncated', False)} want {trunc}")
            prev = last.get(ev["file"])
            if prev is not None and ev["offset"] <= prev:
                r.out_of_order.append(f"run {run_index + 1} {ev['file']}: offset {ev['offset']} "
                                      f"after {prev}")
            last[ev["file"]] = ev["offset"]
    r.duplicates = sum(c - 1 for c in seen.values() if c > 1)
    for key in sorted(expect):
        if key not in seen:
            r.missing.append(f"{key[0]}@{key[1]} {expect[key][:40]!r}")
    return r


# Lines identified by content, for tests where files change paths (rotation):
#   "stream=a gen=003 seq=0000123 <padding>"
ID_RE = re.compile(rb"stream=(\w+) gen=(\d+) seq=(\d+) ")


def id_line(stream: str, gen: int, seq: int, pad: int) -> bytes:
    body = f"stream={stream} gen={gen:03d} seq={seq:07d} "
    filler = "abcdefghijklmnopqrstuvwxyz0123456789"
    reps = pad // len(filler) + 1
    return (body + (filler * reps)[:pad] + " end").encode()


def compare_by_id(written: dict[str, int], runs: list[list[bytes]],
                  allow_duplicates: bool) -> Report:
    """`written`: stream -> number of lines written (seq 0..n-1); `runs`: the messages (bytes) of
    each run in delivery order. Every seq must be delivered; within a run seqs of one
    (stream, gen) -- one physical file -- must increase."""
    r = Report()
    r.written = sum(written.values())
    seen: dict[str, collections.Counter] = {s: collections.Counter() for s in written}
    for run_index, messages in enumerate(runs):
        last: dict[tuple[str, int], int] = {}
        for msg in messages:
            r.delivered += 1
            m = ID_RE.match(msg)
            if not m or m.group(1).decode() not in written:
                r.wrong.append(f"run {run_index + 1}: unexpected line {msg[:80]!r}")
                continue
            stream, gen, seq = m.group(1).decode(), int(m.group(2)), int(m.group(3))
            if seq >= written[stream] or not msg.endswith(b" end"):
                r.wrong.append(f"run {run_index + 1}: bad line {msg[:80]!r}")
                continue
            seen[stream][seq] += 1
            prev = last.get((stream, gen))
            if prev is not None and seq <= prev:
                r.out_of_order.append(f"run {run_index + 1} stream={stream} gen={gen}: seq {seq} "
                                      f"after {prev}")
            last[(stream, gen)] = seq
    for stream, n in written.items():
        r.duplicates += sum(c - 1 for c in seen[stream].values() if c > 1)
        for seq in range(n):
            if seq not in seen[stream]:
                r.missing.append(f"stream={stream} seq={seq}")
    return r


def checkpoint_offsets(path: str) -> list[int]:
    """The offsets of a checkpoint file's entries ([] while it does not exist)."""
    try:
        text = open(path).read()
    except FileNotFoundError:
        return []
    return [int(line.split()[4]) for line in text.splitlines()[1:] if not line.startswith("end ")]


def holds_file(pid: int, path: str) -> bool:
    """Process `pid` has the file now at `path` open (same device and inode)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            s = os.stat(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if s.st_ino == st.st_ino and s.st_dev == st.st_dev:
            return True
    return False


def file_ids(path: str) -> dict[str, set]:
    """The (stream -> seqs) of the id lines in a file."""
    with open(path, "rb") as f:
        return delivered_ids(f.read().split(b"\n"))


def delivered_ids(messages: Iterable[bytes]) -> dict[str, set]:
    out: dict[str, set] = collections.defaultdict(set)
    for msg in messages:
        m = ID_RE.match(msg)
        if m:
            out[m.group(1).decode()].add(int(m.group(3)))
    return out


# --------------------------------------------------------------------------------------------
# A background writer of id lines with rotation helpers


class StreamWriter:
    """Appends id lines to <dir>/<stream>.log; the caller may rotate the file in between.
    All file operations hold `lock`, so a rotation never splits a write."""

    def __init__(self, directory: str, stream: str, pad_range=(20, 160), seed: int = 1):
        import random
        self.dir = directory
        self.stream = stream
        self.path = os.path.join(directory, f"{stream}.log")
        self.seq = 0
        self.gen = 0
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.pad_range = pad_range

    def write(self, n: int) -> None:
        with self.lock:
            buf = bytearray()
            for _ in range(n):
                buf += id_line(self.stream, self.gen, self.seq, self.rng.randint(*self.pad_range))
                buf += b"\n"
                self.seq += 1
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                view = memoryview(bytes(buf))
                while view:
                    k = os.write(fd, view)
                    view = view[k:]
            finally:
                os.close(fd)

    def rotate_rename(self, keep: int = 3, suffix_fmt: str = "{path}.{i}",
                      before_overwrite: Callable[[str], None] | None = None) -> None:
        """logrotate style: <s>.log.(keep-1) -> <s>.log.keep ... <s>.log -> <s>.log.1;
        the next write creates a new <s>.log. The oldest beyond `keep` is overwritten (its
        inode is unlinked while the agent may still hold it); `before_overwrite(path)` runs
        first with the file about to go (e.g. to wait until the agent holds or has read it)."""
        with self.lock:
            for i in range(keep - 1, 0, -1):
                src = suffix_fmt.format(path=self.path, i=i)
                if os.path.exists(src):
                    dst = suffix_fmt.format(path=self.path, i=i + 1)
                    if before_overwrite and i == keep - 1 and os.path.exists(dst):
                        before_overwrite(dst)
                    os.rename(src, dst)
            if os.path.exists(self.path):
                os.rename(self.path, suffix_fmt.format(path=self.path, i=1))
            self.gen += 1

    def rotate_rename_to(self, new_path: str) -> None:
        with self.lock:
            os.rename(self.path, new_path)
            self.gen += 1

    def copy_truncate(self, before_truncate: Callable[[], None] | None = None) -> None:
        """cp <s>.log <s>.log.ct; truncate -s0 <s>.log. `before_truncate` runs with the lock
        held (e.g. to wait until the agent has read everything, since copy-truncate loses what
        was not read before the truncation)."""
        with self.lock:
            shutil.copyfile(self.path, self.path + ".ct")
            if before_truncate:
                before_truncate()
            os.truncate(self.path, 0)
            self.gen += 1
