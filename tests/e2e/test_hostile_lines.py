#!/usr/bin/env python3
"""Hostile input with --once: a 3 MiB line (cut to exactly max_line_bytes = 1MiB, flagged
truncated, the next line intact), lines of exactly 1MiB and 1MiB+1, NUL and control bytes,
invalid UTF-8, CRLF, empty lines, no final newline. The json output must be valid JSON (UTF-8)
with the expected messages, offsets and flags; the raw output must be byte-exact for valid
UTF-8 lines (the line as read, cut to the limit, then '\\n')."""

import os

import e2e_lib as e

MIB = 1024 * 1024


def pattern(n: int, seed: bytes) -> bytes:
    block = (seed + b"0123456789abcdefghijklmnopqrstuvwxyz-") * 64
    return (block * (n // len(block) + 1))[:n]


def hostile_lines() -> list[bytes]:
    return [
        b"first normal line",
        pattern(3 * MIB, b"L3"),                      # cut to 1 MiB
        b"after the 3 MiB line",                      # must be intact
        pattern(MIB, b"EXACT"),                       # exactly the limit: not truncated
        pattern(MIB + 1, b"PLUS1"),                   # one byte over: cut
        pattern(MIB - 1, b"MINUS1"),                  # one under
        b"nul\x00in\x00the\x00middle\x00",
        b"\x00",
        b"controls \x01\x02\x07\x08\x0b\x0c\x1b[31m red \x1f \x7f del",
        b"quote \" backslash \\ tab \t slash / done",
        b"invalid utf8: \xff \xfe \x80 \xc3\x28 \xc0\xaf \xed\xa0\x80 \xf5\x80 end",
        b"truncated sequences: \xe2\x82 x \xf0\x9f\x98 y \xc3",
        "valid utf8: caf\u00e9 \u65e5\u672c\u8a9e \U0001F600 \u20ac".encode(),
        b"crlf line\r",                               # written as "crlf line\r\n"
        b"\r",
        b"",
        b"",
        b"between empty lines",
        b"   leading and trailing spaces   ",
        pattern(5 * MIB + 123, b"BIG5"),              # spans many chunks; cut to 1 MiB
        b"\xff" * 2000,                               # all invalid
        b"last line without a final newline",
    ]


def is_valid_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    path = os.path.join(logs, "hostile.log")
    lines = hostile_lines()
    written = {path: e.write_lines(path, lines, final_newline=False)}
    # A second file whose very first line is over the limit (offset 0) and is the whole file.
    path2 = os.path.join(logs, "only-long.log")
    written[path2] = e.write_lines(path2, [pattern(2 * MIB + 7, b"ONLY")], final_newline=True)
    size = sum(os.path.getsize(p) for p in written)
    n = sum(len(v) for v in written.values())
    e.log(f"wrote {n} hostile lines, {size} bytes")

    out_json = ctx.path("out", "hostile.ndjson")
    out_raw = ctx.path("out", "hostile.raw")
    # One file per pipeline would interleave raw output; one worker and two files keep it
    # simple: raw lines are grouped per file below by matching them in order.
    cfg = e.make_config(ctx, paths=[path], workers=1,
                        sinks=[e.file_sink(out_json, "json"), e.file_sink(out_raw, "raw")],
                        input_extra={"max_line_bytes": "1MiB", "once_partial_line": "emit"})
    a = ctx.run_once(cfg, timeout=60, label="hostile")
    s = a.summary()
    e.log(f"[hostile] summary: {s}")

    events = e.read_json_output(out_json)  # strict UTF-8 + JSON per line
    rep = e.compare_by_offset({path: written[path]}, [events], max_line=MIB)
    rep.print("hostile json")
    for w in rep.wrong[:10]:
        e.log(f"  wrong: {w}")
    rep.assert_ok("hostile json", allow_duplicates=False)

    # Spot checks that don't depend on the comparer.
    by_off = {ev["offset"]: ev for ev in events}
    offs = [o for o, _ in written[path]]
    long_ev = by_off[offs[1]]
    e.check(len(long_ev["message"].encode()) == MIB and long_ev.get("truncated") is True,
            f"3 MiB line: message of {len(long_ev['message'].encode())} bytes, "
            f"truncated={long_ev.get('truncated')}; want exactly {MIB} and true")
    e.check(by_off[offs[2]]["message"] == "after the 3 MiB line",
            f"line after the long one: {by_off[offs[2]]['message'][:80]!r}")
    e.check("truncated" not in by_off[offs[3]], "a line of exactly max_line_bytes was flagged")
    e.check(by_off[offs[6]]["message"] == "nul\x00in\x00the\x00middle\x00",
            f"NUL line: {by_off[offs[6]]['message']!r}")
    e.check(by_off[offs[13]]["message"] == "crlf line\r",
            f"CRLF line: {by_off[offs[13]]['message']!r} (raw is 'the line as read': the CR "
            "stays)")
    # The json text itself escapes control bytes (never a raw control byte in the output).
    with open(out_json, "rb") as f:
        text = f.read()
    bad = [c for c in set(text) if c < 0x20 and c != 0x0A]
    e.check(not bad, f"json output contains raw control bytes {sorted(bad)}")
    e.check(b"\\u0000" in text, "NUL not escaped as \\u0000 in the json output")

    # Raw: byte-exact for valid UTF-8 lines, in order.
    raw_lines, tail = e.read_raw_output(out_raw)
    e.check(tail == b"", f"raw output ends without a newline: {tail[-40:]!r}")
    want = [l[:MIB] for _, l in written[path]]
    e.check(len(raw_lines) == len(want), f"raw output has {len(raw_lines)} lines, want {len(want)}")
    invalid_diff = 0
    for i, (got, exp) in enumerate(zip(raw_lines, want)):
        if got == exp:
            continue
        if is_valid_utf8(exp):
            raise e.TestFailure(f"raw line {i + 1} differs: got {len(got)} bytes {got[:60]!r}, "
                                f"want {len(exp)} bytes {exp[:60]!r}")
        invalid_diff += 1
        e.log(f"note: raw line {i + 1} (invalid UTF-8) was altered: {got[:60]!r}")
    e.log(f"[hostile raw] lines={len(raw_lines)} byte-exact for valid lines; "
          f"invalid-UTF-8 lines altered={invalid_diff}")

    e.check(s["lines"] == len(lines), f"summary: {s['lines']} lines, want {len(lines)}")
    e.check(s["acked"] == len(lines), f"summary: {s['acked']} acknowledged, want {len(lines)}")
    e.check(s["bytes"] == os.path.getsize(path),
            f"summary: {s['bytes']} bytes read, file has {os.path.getsize(path)}")

    # The over-long first line of a file that holds nothing else.
    out2 = ctx.path("out", "only.ndjson")
    cfg2 = e.make_config(ctx, paths=[path2], workers=1, sinks=[e.file_sink(out2, "json")],
                         input_extra={"max_line_bytes": "1MiB"}, file_name="config2.yaml",
                         data_dir=ctx.path("data2"))
    ctx.run_once(cfg2, timeout=60, label="only-long")
    rep2 = e.compare_by_offset({path2: written[path2]}, [e.read_json_output(out2)], max_line=MIB)
    rep2.print("only-long json")
    rep2.assert_ok("file made of one 2 MiB line", allow_duplicates=False)


if __name__ == "__main__":
    e.main("hostile_lines", body)
