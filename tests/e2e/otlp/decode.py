#!/usr/bin/env python3
"""Decodes OTLP log payloads with the official definitions (PyPI opentelemetry-proto; run by the
interpreter of the venv that tests/e2e/otlp/venv.sh makes) and prints one JSON object per log
record: {"message": i, "host", "body", "time", "observed", "severity_number", "severity_text",
"attributes": {key: [kind, value]}}.

    decode.py proto|json FILE     FILE: kcat -f '%S|%s\\n' output (binary safe framing)

A payload the official decoder rejects (wrong wire format, invalid UTF-8 in a string, unknown
JSON field) fails the whole run with its index."""

import json
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest


def frames(data: bytes):
    pos = 0
    while pos < len(data):
        bar = data.index(b"|", pos)
        size = int(data[pos:bar])
        yield data[bar + 1:bar + 1 + size]
        if data[bar + 1 + size:bar + 2 + size] != b"\n":
            raise SystemExit(f"bad kcat framing at byte {pos}")
        pos = bar + 2 + size


def value(v):
    kind = v.WhichOneof("value")
    return [kind, getattr(v, kind) if kind else None]


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    out = sys.stdout
    for i, payload in enumerate(frames(data)):
        req = ExportLogsServiceRequest()
        try:
            if mode == "proto":
                req.ParseFromString(payload)
            else:
                json_format.Parse(payload.decode("utf-8"), req)
        except Exception as err:  # the official decoder refused it
            raise SystemExit(f"message {i}: not a valid OTLP {mode} request: {err}")
        for rl in req.resource_logs:
            host = {kv.key: value(kv.value) for kv in rl.resource.attributes}.get("host.name")
            for sl in rl.scope_logs:
                for r in sl.log_records:
                    out.write(json.dumps({
                        "message": i, "host": host, "scope": sl.scope.name,
                        "body": value(r.body), "time": r.time_unix_nano,
                        "observed": r.observed_time_unix_nano,
                        "severity_number": r.severity_number, "severity_text": r.severity_text,
                        "attributes": {kv.key: value(kv.value) for kv in r.attributes},
                    }) + "\n")


if __name__ == "__main__":
    main()
