#!/usr/bin/env python3
"""OTLP payloads in Kafka (issue 15), decoded by the official OpenTelemetry definitions.

One file of json lines (levels, an integer, a float, a boolean, a nested object, null) and
plain lines with invalid UTF-8 goes through a json parser stage to three kafka sinks of a real
broker: otlp_proto in record mode, otlp_json in record mode, otlp_proto in batch mode (one request
per batch, compressed by librdkafka). Every message of each topic is decoded with PyPI's
opentelemetry-proto (tests/e2e/otlp/decode.py, in a venv made by tests/e2e/otlp/venv.sh) -- not
with a decoder of ours -- and must give, line for line and in order: the body (invalid bytes as
U+FFFD), resource host.name, scope "logagent", the observed time, severity text and number from
"level", log.file.path, and each field with its OTLP type.
"""

import json
import os
import socket
import subprocess

import e2e_lib as e
from test_kafka_delivery import KafkaBroker, timed_once

LEVELS = [("info", 9), ("WARNING", 13), ("error", 17), ("Debug", 5), ("custom", 0)]
N = 300


def lines() -> list[bytes]:
    out = []
    for i in range(N):
        if i % 10 == 7:
            out.append(b"plain line %d \xff\xfe and \x80 end" % i)
            continue
        level = LEVELS[i % len(LEVELS)][0]
        out.append(json.dumps({"level": level, "n": i, "x": i + 0.5, "ok": i % 2 == 0,
                               "obj": {"a": i}, "nil": None, "msg": f"hello {i}"}).encode())
    return out


def expected_body(line: bytes) -> str:
    # Each invalid byte is one U+FFFD (the test's lines have only lone invalid bytes).
    return line.decode("utf-8", "replace")


def check_records(label: str, recs: list[dict], written: list[bytes], path: str,
                  batch_mode: bool) -> None:
    e.check(len(recs) == len(written), f"{label}: {len(recs)} records for {len(written)} lines")
    host = socket.gethostname()
    messages = len({r["message"] for r in recs})
    if not batch_mode:
        e.check(messages == len(written), f"{label}: {messages} messages for {len(recs)} records")
    for i, (r, line) in enumerate(zip(recs, written)):
        where = f"{label} record {i}"
        e.check(r["body"] == ["string_value", expected_body(line)],
                f"{where}: body {r['body']!r} for line {line!r}")
        e.check(r["host"] == ["string_value", host], f"{where}: host.name {r['host']!r}")
        e.check(r["scope"] == "logagent", f"{where}: scope {r['scope']!r}")
        e.check(r["observed"] > 0 and r["time"] == 0, f"{where}: times {r['time']}/{r['observed']}")
        a = r["attributes"]
        e.check(a.get("log.file.path") == ["string_value", path],
                f"{where}: log.file.path {a.get('log.file.path')!r}")
        if i % 10 == 7:
            e.check(r["severity_text"] == "" and "_error" in a, f"{where}: {r!r}")
            continue
        level, number = LEVELS[i % len(LEVELS)]
        e.check(r["severity_text"] == level and r["severity_number"] == number,
                f"{where}: severity {r['severity_text']!r}/{r['severity_number']} for {level}")
        want = {"level": ["string_value", level], "n": ["int_value", i],
                "x": ["double_value", i + 0.5], "ok": ["bool_value", i % 2 == 0],
                "obj": ["string_value", '{"a":%d}' % i], "nil": [None, None],
                "msg": ["string_value", f"hello {i}"]}
        for k, v in want.items():
            e.check(a.get(k) == v, f"{where}: attribute {k} is {a.get(k)!r}, want {v!r}")


def body(ctx: e.Context) -> None:
    venv = subprocess.run([os.path.join(ctx.source_dir, "tests", "e2e", "otlp", "venv.sh")],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    e.check(venv.returncode == 0, f"cannot make the OTLP decoder's venv:\n{venv.stderr[-2000:]}")
    python = venv.stdout.strip()
    decoder = os.path.join(ctx.source_dir, "tests", "e2e", "otlp", "decode.py")
    logs = ctx.mkdir("logs")
    path = os.path.join(logs, "app.log")
    written = lines()
    e.write_lines(path, written)
    broker = KafkaBroker(ctx)
    try:
        broker.start()

        def kafka(topic: str, fmt: str, mode: str = "record") -> dict:
            return {"type": "kafka", "brokers": [broker.bootstrap], "topic": topic, "format": fmt,
                    "mode": mode}

        topics = [("otlp-proto", "otlp_proto", "record", "proto"),
                  ("otlp-json", "otlp_json", "record", "json"),
                  ("otlp-batch", "otlp_proto", "batch", "proto")]
        cfg = {"data_dir": ctx.path("data"), "metrics": {"listen": ""},
               "pipelines": [{"name": "app", "workers": 1,
                              "input": {"type": "tail", "paths": [path], "read_from": "head"},
                              "stages": [{"type": "json"}],
                              "sinks": [kafka(t, f, m) for t, f, m, _ in topics]}]}
        cfg_path = e.write_config(ctx.path("otlp.yaml"), cfg)
        timed_once(ctx, cfg_path, "otlp")
        for topic, fmt, mode, decode_as in topics:
            raw = broker.consume(topic, "%S|%s\n")
            dump = ctx.path(f"{topic}.kcat")
            with open(dump, "wb") as f:
                f.write(raw)
            r = subprocess.run([python, decoder, decode_as, dump], capture_output=True,
                               text=True, timeout=300)
            e.check(r.returncode == 0, f"{topic}: the official decoder failed: {r.stderr[-2000:]}")
            recs = [json.loads(l) for l in r.stdout.splitlines()]
            check_records(f"{fmt}/{mode}", recs, written, path, mode == "batch")
            e.log(f"[otlp] {topic} ({fmt}, {mode}): {len(recs)} records in "
                  f"{len({x['message'] for x in recs})} messages, {len(raw)} bytes, all as written")
    finally:
        broker.stop()


if __name__ == "__main__":
    e.main("kafka_otlp", body)
