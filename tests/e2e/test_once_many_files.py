#!/usr/bin/env python3
"""--once over 20 files of varied sizes (empty ones, tiny ones, lines crossing chunk boundaries,
one without a final newline): every line exactly once, in order per file; the summary line's
counts match; a second --once with the same data_dir delivers nothing; appended lines are then
delivered once, from the checkpoint."""

import os
import random

import e2e_lib as e


def make_files(ctx, logs, rng):
    """Returns path -> [(offset, line)]; line content is unique (file tag + index)."""
    # (lines, min length, max length); 20 files.
    shapes = [(0, 0, 0), (0, 0, 0), (1, 10, 10), (2, 0, 40), (10, 0, 200), (100, 50, 300),
              (1000, 0, 500), (5000, 20, 250), (20000, 50, 200), (40000, 10, 120),
              (3000, 100, 4000), (60, 50_000, 200_000), (500, 0, 0), (7, 300_000, 900_000),
              (12345, 80, 240), (999, 1, 3), (30000, 150, 260), (2500, 200, 2000),
              (64, 4000, 70_000), (4321, 0, 300)]
    no_final_newline = 5  # file index written without a final '\n'
    written = {}
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 =:/.-_[]"
    pieces = [bytes(rng.choice(alphabet) for _ in range(64)) for _ in range(256)]
    for i, (n, lo, hi) in enumerate(shapes):
        path = os.path.join(logs, f"f{i:02d}.log")
        lines = []
        for j in range(n):
            if hi == 0:
                lines.append(b"")  # empty lines
                continue
            tag = b"f%02d-%06d " % (i, j)
            length = rng.randint(lo, hi)
            piece = rng.choice(pieces)
            body = (piece * (length // len(piece) + 1))[:length]
            lines.append(tag + body)
        if n == 0:
            open(path, "wb").close()
            written[path] = []
        else:
            written[path] = e.write_lines(path, lines, final_newline=(i != no_final_newline))
    return written


def body(ctx: e.Context) -> None:
    rng = random.Random(20261127)
    logs = ctx.mkdir("logs")
    written = make_files(ctx, logs, rng)
    total_lines = sum(len(v) for v in written.values())
    total_bytes = sum(os.path.getsize(p) for p in written)
    e.log(f"wrote {len(written)} files, {total_lines} lines, {total_bytes} bytes")

    out1 = ctx.path("out", "run1.ndjson")
    raw1 = ctx.path("out", "run1.raw")
    # Archives: the file without a final newline is complete, so its last line is sent as it is
    # (the default holds it for the next run: test_sink_outcomes.py case 6).
    archive = {"once_partial_line": "emit"}
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")],
                        sinks=[e.file_sink(out1, "json"), e.file_sink(raw1, "raw")],
                        input_extra=archive)
    a = ctx.run_once(cfg, timeout=60, label="run1")
    s = a.summary()
    e.log(f"[run1] summary: {s}")
    events = e.read_json_output(out1)
    rep = e.compare_by_offset(written, [events])
    rep.print("run1 json")
    rep.assert_ok("run1 json", allow_duplicates=False)

    # The raw sink: the same lines, byte-exact (grouped by their file tag, in order).
    raw_lines, tail = e.read_raw_output(raw1)
    e.check(tail == b"", f"raw output ends with a partial line {tail[:60]!r}")
    want_by_file = {}
    for path, lines in written.items():
        want_by_file[path] = [l for _, l in lines if l]  # empty lines carry no tag
    got_by_tag = {}
    empties = 0
    for l in raw_lines:
        if not l:
            empties += 1
            continue
        got_by_tag.setdefault(l[:3], []).append(l)
    for path, lines in want_by_file.items():
        tag = os.path.basename(path)[:3].encode()
        got = got_by_tag.get(tag, [])
        if got != lines:
            first = next((k for k, (x, y) in enumerate(zip(got, lines)) if x != y),
                         min(len(got), len(lines)))
            raise e.TestFailure(f"raw output for {path}: {len(got)} lines, want {len(lines)}; "
                                f"first difference at index {first}")
    want_empties = sum(1 for lines in written.values() for _, l in lines if not l)
    e.check(empties == want_empties, f"raw output has {empties} empty lines, want {want_empties}")
    e.log(f"[run1 raw] lines={len(raw_lines)} byte-exact per file")

    e.check(s["lines"] == total_lines,
            f"summary says {s['lines']} lines, {total_lines} were written")
    e.check(s["bytes"] == total_bytes,
            f"summary says {s['bytes']} bytes read, the files hold {total_bytes}")
    e.check(s["acked"] == total_lines,
            f"summary says {s['acked']} acknowledged, want {total_lines}")
    e.check(s["failed"] == 0, f"summary says {s['failed']} failed")
    ckpt = ctx.path("data", "app.checkpoint")
    e.check(os.path.exists(ckpt), f"no checkpoint file {ckpt} after --once")

    # Second run, same data_dir: nothing new.
    out2 = ctx.path("out", "run2.ndjson")
    cfg2 = e.make_config(ctx, paths=[os.path.join(logs, "*.log")],
                         sinks=[e.file_sink(out2, "json")], file_name="config2.yaml",
                         input_extra=archive)
    a2 = ctx.run_once(cfg2, timeout=60, label="run2")
    s2 = a2.summary()
    again = e.read_json_output(out2)
    e.log(f"[run2] summary: {s2}; delivered={len(again)}")
    e.check(not again, f"second --once re-delivered {len(again)} line(s), first: "
            f"{again[0]['file']}@{again[0]['offset']}" if again else "")
    e.check(s2["lines"] == 0 and s2["acked"] == 0,
            f"second --once summary should be all zero: {s2}")

    # Append to a few files (not the one whose last line had no newline): only the new lines.
    appended = {}
    for i in (0, 3, 9, 14):
        path = os.path.join(logs, f"f{i:02d}.log")
        new = [b"f%02d-append-%04d more data" % (i, j) for j in range(50 + i)]
        appended[path] = e.write_lines(path, new, mode="ab")
    out3 = ctx.path("out", "run3.ndjson")
    cfg3 = e.make_config(ctx, paths=[os.path.join(logs, "*.log")],
                         sinks=[e.file_sink(out3, "json")], file_name="config3.yaml",
                         input_extra=archive)
    a3 = ctx.run_once(cfg3, timeout=60, label="run3")
    s3 = a3.summary()
    rep3 = e.compare_by_offset(appended, [e.read_json_output(out3)])
    rep3.print("run3 appended")
    rep3.assert_ok("run3 appended (resume from checkpoint)", allow_duplicates=False)
    n3 = sum(len(v) for v in appended.values())
    e.check(s3["lines"] == n3 and s3["acked"] == n3, f"run3 summary {s3}, want {n3} lines")


if __name__ == "__main__":
    e.main("once_many_files", body)
