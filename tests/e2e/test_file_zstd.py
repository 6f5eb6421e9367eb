#!/usr/bin/env python3
"""The file sink with `compression: zstd` and rolling, through the real binary.

--once over 6 files (~12 MiB) into three sinks: raw+zstd rolled by size (1 MiB), json+zstd
without rolling, and plain raw. Every output file -- rolled ones included -- must decode on its own
with the `zstd` command; joined in name order they must hold every line exactly once, in order
per file, byte-exact (raw) or matched by (file, offset) (json). A live run then shows rolling by
time: with roll_interval 1s the next batch after a pause goes to a fresh file and nothing is lost.
The encode step's metrics show the compression ratio."""

import glob
import os
import random
import subprocess
import time

import e2e_lib as e


def unzstd(path: str) -> bytes:
    p = subprocess.run(["zstd", "-dc", "--no-progress", path], capture_output=True)
    e.check(p.returncode == 0,
            f"zstd -d {path} failed ({p.returncode}): {p.stderr.decode(errors='replace')[:300]}")
    return p.stdout


def lines_now(path: str) -> int:
    """Lines in a live .zst file, or -1 while it is missing or ends inside a frame."""
    if not os.path.exists(path):
        return -1
    p = subprocess.run(["zstd", "-dc", "--no-progress", path], capture_output=True)
    return p.stdout.count(b"\n") if p.returncode == 0 else -1


def outputs(pattern_dir: str, stem: str, ext: str) -> list[str]:
    """The rolled files (sorted: write order) then the live file."""
    rolled = sorted(glob.glob(os.path.join(pattern_dir, f"{stem}-*{ext}")))
    live = os.path.join(pattern_dir, stem + ext)
    return rolled + ([live] if os.path.exists(live) else [])


def body(ctx: e.Context) -> None:
    rng = random.Random(7)
    logs = ctx.mkdir("logs")
    written = {}
    raw_by_tag = {}
    words = [b"GET", b"POST", b"/api/v1/items", b"200", b"404", b"user=alice", b"latency_ms=12",
             b"\"quoted\"", b"tab\there", b"caf\xc3\xa9", b"\xff\xfe bad utf8"]
    for i in range(6):
        lines = []
        for j in range(20000):
            body_ = b" ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
            lines.append(b"f%d-%06d " % (i, j) + body_)
        path = os.path.join(logs, f"app{i}.log")
        written[path] = e.write_lines(path, lines)
        raw_by_tag[b"f%d" % i] = lines
    total_lines = sum(len(v) for v in written.values())
    total_bytes = sum(os.path.getsize(p) for p in written)
    e.log(f"wrote {len(written)} files, {total_lines} lines, {total_bytes} bytes")

    out = ctx.mkdir("out")
    sinks = [
        {"type": "file", "path": os.path.join(out, "raw.log.zst"), "format": "raw",
         "compression": "zstd", "compression_level": 1, "roll_size": "1MiB"},
        {"type": "file", "path": os.path.join(out, "events.ndjson.zst"), "format": "json",
         "compression": "zstd", "compression_level": 3},
        {"type": "file", "path": os.path.join(out, "plain.log"), "format": "raw"},
    ]
    port = e.free_port()
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=sinks,
                        metrics_port=port)
    a = ctx.run_once(cfg, timeout=120, label="once")
    s = a.summary()
    e.log(f"[once] summary: {s}")
    e.check(s["acked"] == total_lines and s["failed"] == 0, f"summary: {s}")

    # raw + zstd, rolled by size: each file decodes alone and is at most ~1 MiB compressed.
    files = outputs(out, "raw", ".log.zst")
    e.check(len(files) >= 2, f"expected rolled files, found {files}")
    joined = b""
    for f in files:
        size = os.path.getsize(f)
        e.check(size <= 1024 * 1024, f"{f} is {size} bytes, above roll_size 1MiB")
        joined += unzstd(f)
    got_lines = joined.split(b"\n")
    e.check(got_lines[-1] == b"", "raw zstd output does not end with a newline")
    got_by_tag = {}
    for l in got_lines[:-1]:
        got_by_tag.setdefault(l.split(b"-", 1)[0], []).append(l)
    for tag, lines in raw_by_tag.items():
        got = got_by_tag.get(tag, [])
        e.check(got == lines, f"raw zstd output for {tag!r}: {len(got)} lines, want {len(lines)}"
                f" (or different content/order)")
    e.log(f"[raw zstd] {len(files)} files, {len(joined)} bytes decoded, "
          f"{sum(os.path.getsize(f) for f in files)} compressed; byte-exact per file")

    # json + zstd: valid JSON events, every (file, offset) once and in order.
    events_path = os.path.join(out, "events.ndjson")
    with open(events_path, "wb") as fh:
        fh.write(unzstd(os.path.join(out, "events.ndjson.zst")))
    events = e.read_json_output(events_path)
    rep = e.compare_by_offset(written, [events])
    rep.print("json zstd")
    rep.assert_ok("json zstd", allow_duplicates=False)

    # The uncompressed sink saw the same bytes.
    plain = open(os.path.join(out, "plain.log"), "rb").read()
    e.check(len(plain) == len(joined), f"plain sink {len(plain)} bytes vs zstd {len(joined)}")

    # Live: roll by time. Two bursts separated by a pause longer than roll_interval.
    live_logs = ctx.mkdir("live")
    live_out = ctx.mkdir("live_out")
    cfg2 = e.make_config(
        ctx, paths=[os.path.join(live_logs, "*.log")], file_name="live.yaml",
        data_dir=ctx.path("data_live"), metrics_port=port,
        sinks=[{"type": "file", "path": os.path.join(live_out, "t.log.zst"), "format": "raw",
                "compression": "zstd", "roll_interval": "1s"}])
    agent = ctx.agent(cfg2, label="live").start()
    try:
        live_path = os.path.join(live_logs, "live.log")
        first = [b"burst1-%05d" % j for j in range(3000)]
        e.write_lines(live_path, first)
        e.wait_for(lambda: lines_now(os.path.join(live_out, "t.log.zst")) == 3000,
                   timeout=20, what="the first burst in t.log.zst", agent=agent)
        time.sleep(1.5)
        second = [b"burst2-%05d" % j for j in range(3000)]
        e.write_lines(live_path, second, mode="ab")
        e.wait_for(lambda: len(outputs(live_out, "t", ".log.zst")) >= 2 and
                   lines_now(os.path.join(live_out, "t.log.zst")) == 3000,
                   timeout=20, what="a rolled file and the second burst in a fresh t.log.zst",
                   agent=agent)
        m = e.scrape(port)
        rolls = m.get("logagent_file_sink_rolls_total", pipeline="app", sink="file")
        e.check(rolls == 1, f"logagent_file_sink_rolls_total = {rolls}, want 1")
        enc_in = m.get("logagent_encode_input_bytes_total", pipeline="app", stage="encode",
                       codec="zstd")
        enc_out = m.get("logagent_encode_output_bytes_total", pipeline="app", stage="encode",
                        codec="zstd")
        e.check(enc_in and enc_out and enc_in > enc_out,
                f"encode metrics: in={enc_in} out={enc_out}")
        e.log(f"[live] rolls={rolls:.0f} encode in={enc_in:.0f} out={enc_out:.0f}")
        e.check(agent.stop() == 0, "the live agent did not exit 0 on SIGTERM")
    finally:
        agent.kill_if_running()
    lines = b"".join(unzstd(f) for f in outputs(live_out, "t", ".log.zst")).split(b"\n")[:-1]
    e.check(lines == first + second, f"live output: {len(lines)} lines, want 6000 in order")


if __name__ == "__main__":
    e.main("file_zstd", body)
