#!/usr/bin/env python3
"""Parsers, processors and the timestamp stage through the binary: one configuration with a
pipeline per case, over generated real-world-like inputs, to file sinks in json format.

Cases: json (nested objects, escapes, malformed lines kept with _error, RFC 3339 times with
offsets), regex with the built-in nginx format (garbage lines dropped, nginx times), regex with a
custom pattern (non-matching lines kept), logfmt (epoch_ms times), cri (P/F partial lines joined,
another stream in between), docker json-file (escaped logs), json with a target (the members
nested under one key), a processor chain (add_fields, remove_fields, rename_fields, drop, keep,
sample), throttle, and syslog times without a year.

1. `logagent run --once`: every output line is parsed with Python's json module and checked
   field by field against what was generated; every input line is accounted for (delivered, or
   dropped by a known rule); the summary line counts every line read and acknowledged.
2. The same configuration without --once and with the metrics endpoint: once every output is
   complete, the parser, timestamp and processor counters must equal the numbers the inputs imply.
"""

import datetime
import json
import os
import random

import e2e_lib as e

NS = 1_000_000_000


def time_text(unix_ns: int) -> str:
    """The json encoding's time: UTC, microseconds (truncated)."""
    s, rem = divmod(unix_ns, NS)
    dt = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{rem // 1000:06d}Z"


def text_ns(text: str) -> int:
    dt = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(dt.replace(tzinfo=datetime.timezone.utc).timestamp()) * NS + dt.microsecond * 1000


def stable_hash(data: bytes) -> int:
    """plugins/common/field_edit.h stable_hash (FNV-1a + murmur3 finaliser), for sample's decisions."""
    m = (1 << 64) - 1
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & m
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & m
    h ^= h >> 33
    h = (h * 0xc4ceb53ba9e63b39) & m
    h ^= h >> 33
    return h


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class Case:
    """One pipeline: input lines, stages, and the events expected in its output (in order)."""

    def __init__(self, name: str, stages: list[dict]):
        self.name = name
        self.stages = stages
        self.lines: list[bytes] = []
        self.expected: list[dict] = []  # field -> value checks per delivered event
        self.dropped: dict[str, int] = {}  # reason -> count
        self.metrics: list[tuple[str, dict, float]] = []  # (name, labels, value) in run 2
        self.exact_count = True

    def add(self, line: bytes, expect: dict | None, drop_reason: str | None = None) -> None:
        self.lines.append(line)
        if expect is None:
            reason = drop_reason or "dropped"
            self.dropped[reason] = self.dropped.get(reason, 0) + 1
        else:
            self.expected.append(expect)


READ_TIME = "<read time>"  # expected "time": the read time of the batch (close to now)
ABSENT = object()  # expected: the key is not in the event


def json_case(rng: random.Random) -> Case:
    c = Case("json", [{"type": "json"},
                      {"type": "timestamp", "field": "time", "remove_field": True}])
    malformed = time_errors = 0
    for i in range(2000):
        if i % 50 == 7:
            line = b'{"level":"info","msg":"cut off' + str(i).encode()
            c.add(line, {"message": line.decode(), "_error": "json: unclosed string",
                         "time": READ_TIME, "level": ABSENT})
            malformed += 1
            continue
        base = 1714566896 + i * 37
        frac = rng.randrange(NS)
        offset_min = rng.choice([0, 120, -420, 330])
        local = datetime.datetime.fromtimestamp(base + offset_min * 60, datetime.timezone.utc)
        sign = "+" if offset_min >= 0 else "-"
        off = "Z" if offset_min == 0 else f"{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"
        t = f"{local:%Y-%m-%dT%H:%M:%S}.{frac:09d}{off}"
        msg = f'user "u{i}" said \\ hi\tin caf\u00e9 \u2603 #{i}'
        obj = {"time": t, "level": ["info", "warn", "error"][i % 3], "msg": msg, "n": i,
               "ok": i % 2 == 0, "ctx": {"req": {"id": f"r{i}", "tags": ["a", i]}}, "nil": None}
        bad_time = i % 37 == 5
        if bad_time:
            obj["time"] = "not-a-time"
            time_errors += 1
        line = json.dumps(obj, ensure_ascii=False).encode()
        exp = {"message": line.decode(), "level": obj["level"], "msg": msg, "n": i,
               "ok": obj["ok"], "ctx": obj["ctx"], "nil": None}
        if bad_time:
            exp.update({"time": READ_TIME, "_time": "not-a-time",
                        "_error": "timestamp: does not match the format"})
        else:
            exp.update({"time": time_text(base * NS + frac), "_time": ABSENT, "_error": ABSENT})
        c.add(line, exp)
    ok = 2000 - malformed
    c.metrics = [("logagent_parser_events_total", {"result": "ok"}, ok),
                 ("logagent_parser_events_total", {"result": "error"}, malformed),
                 ("logagent_timestamp_events_total", {"result": "ok"}, ok - time_errors),
                 ("logagent_timestamp_events_total", {"result": "error"}, time_errors),
                 ("logagent_timestamp_events_total", {"result": "missing"}, malformed)]
    return c


def nginx_case(rng: random.Random) -> Case:
    c = Case("nginx", [{"type": "regex", "format": "nginx", "on_error": "drop"},
                       {"type": "timestamp", "field": "time", "format": "%d/%b/%Y:%H:%M:%S %z",
                        "remove_field": True}])
    garbage = 0
    agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
              "curl/8.4.0", "-"]
    for i in range(1500):
        if i % 100 == 42:
            c.add(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage " + str(i).encode(), None,
                  "no match")
            garbage += 1
            continue
        t = 971186136 + i * 61
        off_min = rng.choice([0, -420, 60])
        local = datetime.datetime.fromtimestamp(t + off_min * 60, datetime.timezone.utc)
        sign = "+" if off_min >= 0 else "-"
        tl = f"{local.day:02d}/{MONTHS[local.month - 1]}/{local.year}:{local:%H:%M:%S} " \
             f"{sign}{abs(off_min) // 60:02d}{abs(off_min) % 60:02d}"
        ip = f"10.{i % 256}.{(i * 7) % 256}.{(i * 13) % 256}"
        path = f"/api/v1/items/{i}?q=a%20b&x=\\x22y\\x22"  # nginx writes '"' as \x22
        status = [200, 404, 500, 304][i % 4]
        size = rng.randrange(0, 100000)
        ua = agents[i % 3]
        line = f'{ip} - {"frank" if i % 5 == 0 else "-"} [{tl}] "GET {path} HTTP/1.1" {status} ' \
               f'{size} "https://example.com/r?{i}" "{ua}"'
        c.add(line.encode(), {"client": ip, "user": "frank" if i % 5 == 0 else "-",
                              "method": "GET", "path": path, "protocol": "HTTP/1.1",
                              "status": str(status), "bytes": str(size),
                              "referer": f"https://example.com/r?{i}", "user_agent": ua,
                              "time": time_text(t * NS), "_time": ABSENT, "message": line})
    c.metrics = [("logagent_parser_events_total", {"result": "error"}, garbage),
                 ("logagent_parser_events_total", {"result": "ok"}, 1500 - garbage),
                 ("logagent_timestamp_events_total", {"result": "ok"}, 1500 - garbage)]
    return c


def custom_regex_case(rng: random.Random) -> Case:
    c = Case("custom_regex", [{"type": "regex",
                               "pattern": r"^(?P<level>[A-Z]+) \[(?P<thread>[^\]]+)\] "
                                          r"(?P<msg>.*)$"}])
    for i in range(500):
        if i % 25 == 3:
            line = f"continuation line {i} without a level"
            c.add(line.encode(), {"message": line, "_error": "regex: no match", "level": ABSENT})
            continue
        level = ["INFO", "WARN", "ERROR", "DEBUG"][i % 4]
        msg = f"job {i} finished in {rng.randrange(1000)} ms [ok]"
        line = f"{level} [worker-{i % 8}] {msg}"
        c.add(line.encode(), {"level": level, "thread": f"worker-{i % 8}", "msg": msg,
                              "_error": ABSENT})
    return c


def logfmt_case(rng: random.Random) -> Case:
    c = Case("logfmt", [{"type": "logfmt"},
                        {"type": "timestamp", "field": "ts", "format": "epoch_ms",
                         "remove_field": True}])
    for i in range(1000):
        if i % 40 == 9:
            line = f"free text line number {i}"
            c.add(line.encode(), {"message": line, "_error": "logfmt: no key=value pair",
                                  "time": READ_TIME})
            continue
        ts = 1700000000000 + i * 1234
        line = f'ts={ts} level=info msg="user \\"u{i}\\" logged in" user=u{i} ' \
               f'duration={rng.randrange(100)}ms cached'
        c.add(line.encode(), {"time": time_text(ts * 1_000_000), "ts": ABSENT, "level": "info",
                              "msg": f'user "u{i}" logged in', "user": f"u{i}", "cached": True})
    return c


def nested_case() -> Case:
    """json with `target: doc`: the members land in one object field beside the event's own
    keys (a member called `file` or `message` collides with nothing); errors stay top-level."""
    c = Case("nested", [{"type": "json", "target": "doc"},
                        {"type": "add_fields", "fields": {"env": "prod"}}])
    for i in range(300):
        if i % 50 == 7:
            line = f"not json {i}"
            c.add(line.encode(), {"message": line, "_error": "json: not a JSON object",
                                  "doc": ABSENT, "env": "prod"})
            continue
        doc = {"file": f"f{i}", "message": f'm"{i}\n', "n": i, "ok": i % 2 == 0,
               "none": None, "tags": ["a", {"b": i}]}
        line = json.dumps(doc, separators=(",", ":"))
        c.add(line.encode(), {"message": line, "doc": doc, "env": "prod", "n": ABSENT,
                              "_file": ABSENT, "_message": ABSENT})
    return c


def cri_case(rng: random.Random) -> Case:
    c = Case("cri", [{"type": "cri"},
                     {"type": "timestamp", "field": "time", "remove_field": True}])
    # Small enough to be one batch (P..F is joined within a batch; see cri_parser.h).
    t0 = 1714566896
    for i in range(300):
        ns = (t0 + i) * NS + rng.randrange(NS)
        ts = time_text(ns)[:-1] + f"{ns % 1000:03d}Z"  # nanoseconds, as containerd writes
        if i % 10 == 4:
            parts = [f"long-{i}-part{k}-" + "x" * 40 for k in range(3)]
            c.add(f"{ts} stdout P {parts[0]}".encode(), {"message": "".join(parts),
                                                           "stream": "stdout",
                                                           "time": time_text(ns),
                                                           "_partial": ABSENT})
            c.add(f"{ts} stdout P {parts[1]}".encode(), None, "joined")
            other = f"stderr between {i}"
            c.add(f"{ts} stderr F {other}".encode(), {"message": other, "stream": "stderr",
                                                        "time": time_text(ns)})
            c.add(f"{ts} stdout F {parts[2]}".encode(), None, "joined")
            continue
        stream = "stderr" if i % 7 == 0 else "stdout"
        msg = f"plain line {i} \"quoted\" \u00e9"
        c.add(f"{ts} {stream} F {msg}".encode(), {"message": msg, "stream": stream,
                                                   "time": time_text(ns)})
    return c


def docker_case(rng: random.Random) -> Case:
    c = Case("docker", [{"type": "docker"}, {"type": "timestamp", "field": "time"}])
    for i in range(800):
        ns = (1714566896 + i * 3) * NS + rng.randrange(NS)
        t = time_text(ns)[:-1] + f"{ns % 1000:03d}Z"
        log = f"GET /x/{i} \"200\"\tcaf\u00e9 \\ done\n"
        line = json.dumps({"log": log, "stream": ["stdout", "stderr"][i % 2], "time": t})
        c.add(line.encode(), {"message": log[:-1], "stream": ["stdout", "stderr"][i % 2],
                              "time": time_text(ns), "_time": t, "log": ABSENT})
    return c


def processors_case() -> Case:
    c = Case("processors", [
        {"type": "json"},
        {"type": "add_fields", "fields": {"env": "prod", "src": "{file}:{offset}"}},
        {"type": "remove_fields", "fields": ["password"]},
        {"type": "rename_fields", "fields": {"user": "user_name"}},
        {"type": "drop", "field": "level", "equals": "debug"},
        {"type": "keep", "field": "svc", "matches": "^(api|web)$"},
        {"type": "sample", "rate": 4, "by": "trace"},
    ])
    counts = {"debug": 0, "svc": 0, "sampled": 0, "kept": 0}
    offset = 0
    for i in range(4000):
        level = ["info", "debug", "warn", "error", "info"][i % 5]
        svc = ["api", "web", "batch"][i % 3]
        trace = f"trace-{i // 3}"
        obj = {"level": level, "svc": svc, "user": f"u{i}", "password": "hunter2", "trace": trace,
               "i": i}
        line = json.dumps(obj).encode()
        this_offset = offset
        offset += len(line) + 1
        if level == "debug":
            c.add(line, None, "debug")
            counts["debug"] += 1
        elif svc not in ("api", "web"):
            c.add(line, None, "svc")
            counts["svc"] += 1
        elif stable_hash(trace.encode()) % 4 != 0:
            c.add(line, None, "sampled")
            counts["sampled"] += 1
        else:
            counts["kept"] += 1
            c.add(line, {"i": i, "env": "prod", "src": ("{path}", this_offset), "password": ABSENT,
                         "user": ABSENT, "user_name": f"u{i}", "level": level, "svc": svc})
    e.check(counts["kept"] > 100 and counts["sampled"] > 100, f"degenerate sample split {counts}")
    c.metrics = [
        ("logagent_processor_events_total", {"stage": "drop", "result": "dropped"},
         counts["debug"]),
        ("logagent_processor_events_total", {"stage": "keep", "result": "dropped"}, counts["svc"]),
        ("logagent_processor_events_total", {"stage": "sample", "result": "sampled_out"},
         counts["sampled"]),
        ("logagent_processor_events_total", {"stage": "sample", "result": "kept"},
         counts["kept"]),
        ("logagent_processor_events_total", {"stage": "remove_fields", "result": "modified"},
         4000),
    ]
    return c


def throttle_case() -> Case:
    c = Case("throttle", [{"type": "throttle", "events_per_second": 100}])
    c.exact_count = False
    for i in range(3000):
        c.add(f"event {i:05d}".encode(), {"message": f"event {i:05d}"})
    return c


def syslog_case(now_utc: datetime.datetime) -> Case:
    c = Case("syslog", [{"type": "regex", "format": "syslog_rfc3164"},
                        {"type": "timestamp", "field": "time", "format": "%b %e %H:%M:%S",
                         "timezone": "+02:00", "remove_field": True}])
    tz = datetime.timezone(datetime.timedelta(hours=2))
    now_local = now_utc.astimezone(tz)
    errors = 0
    for i in range(300):
        if i % 50 == 10:
            line = f"Feb 30 10:00:{i % 60:02d} host app[{i}]: impossible date"
            c.add(line.encode(), {"time": READ_TIME, "_time": "Feb 30 10:00:" + f"{i % 60:02d}",
                                  "_error": "timestamp: date or time out of range"})
            errors += 1
            continue
        # This month and the previous one (the December/January rule is in the unit tests).
        month = now_local.month if i % 2 == 0 else (now_local.month - 2) % 12 + 1
        day = 1 + i % 28
        year = now_local.year
        if month == 12 and now_local.month == 1:
            year -= 1
        hh, mm, ss = i % 24, i % 60, (i * 7) % 60
        line = f"{MONTHS[month - 1]} {day:2d} {hh:02d}:{mm:02d}:{ss:02d} web-{i % 3} " \
               f"nginx[{100 + i}]: request {i} done"
        t = datetime.datetime(year, month, day, hh, mm, ss, tzinfo=tz)
        c.add(line.encode(), {"host": f"web-{i % 3}", "ident": "nginx", "pid": str(100 + i),
                              "msg": f"request {i} done",
                              "time": time_text(int(t.timestamp()) * NS), "_time": ABSENT})
    c.metrics = [("logagent_timestamp_events_total", {"result": "error"}, errors),
                 ("logagent_timestamp_events_total", {"result": "ok"}, 300 - errors)]
    return c


def config(ctx: e.Context, cases: list[Case], logs: str, out: str, data_dir: str,
           metrics_port: int | None) -> str:
    pipelines = []
    for c in cases:
        pipelines.append({
            "name": c.name,
            "workers": 2,
            "input": {"type": "tail", "paths": [os.path.join(logs, c.name, "*.log")],
                      "read_from": "head"},
            "stages": c.stages,
            "sinks": [e.file_sink(os.path.join(out, f"{c.name}.ndjson"), "json")],
        })
    cfg = {"data_dir": data_dir,
           "metrics": {"listen": f"127.0.0.1:{metrics_port}" if metrics_port else ""},
           "checkpoint_interval": "500ms", "shutdown_timeout": "10s", "pipelines": pipelines}
    return e.write_config(ctx.path(f"config-{os.path.basename(out)}.yaml"), cfg)


def check_event(case: Case, k: int, got: dict, want: dict, path: str, window: tuple) -> None:
    where = f"{case.name}: event {k}"
    e.check(got.get("file") == path, f"{where}: file {got.get('file')!r}, want {path!r}")
    for key, value in want.items():
        if value is ABSENT:
            e.check(key not in got, f"{where}: unexpected {key!r}={got.get(key)!r} in {got}")
        elif value is READ_TIME:
            e.check(key in got, f"{where}: no {key!r} in {got}")
            t = text_ns(got[key])
            e.check(window[0] <= t <= window[1],
                    f"{where}: {key}={got[key]!r} is not the read time (run window "
                    f"{time_text(window[0])} .. {time_text(window[1])})")
        elif isinstance(value, tuple) and value and value[0] == "{path}":
            e.check(got.get(key) == f"{path}:{value[1]}",
                    f"{where}: {key}={got.get(key)!r}, want {path}:{value[1]}")
        else:
            e.check(got.get(key) == value, f"{where}: {key}={got.get(key)!r}, want {value!r}"
                                           f"\n  event: {got}")


def check_outputs(cases: list[Case], logs: str, out: str, window: tuple) -> dict[str, int]:
    delivered = {}
    for c in cases:
        path = os.path.join(logs, c.name, f"{c.name}.log")
        events = e.read_json_output(os.path.join(out, f"{c.name}.ndjson"))
        delivered[c.name] = len(events)
        offsets = [ev["offset"] for ev in events]
        e.check(offsets == sorted(offsets), f"{c.name}: events out of order")
        e.check(len(set(offsets)) == len(offsets), f"{c.name}: duplicate offsets")
        dropped = sum(c.dropped.values())
        if c.exact_count:
            e.check(len(events) == len(c.expected),
                    f"{c.name}: {len(events)} events delivered, want {len(c.expected)} "
                    f"({len(c.lines)} lines - {dropped} dropped: {c.dropped})")
            for k, (got, want) in enumerate(zip(events, c.expected)):
                check_event(c, k, got, want, path, window)
        e.log(f"  {c.name}: lines={len(c.lines)} delivered={len(events)} dropped={c.dropped}")
    return delivered


def body(ctx: e.Context) -> None:
    rng = random.Random(4)
    now = datetime.datetime.now(datetime.timezone.utc)
    cases = [json_case(rng), nginx_case(rng), custom_regex_case(rng), logfmt_case(rng),
             cri_case(rng), docker_case(rng), nested_case(), processors_case(), throttle_case(),
             syslog_case(now)]
    logs = ctx.mkdir("logs")
    total_lines = total_bytes = 0
    for c in cases:
        d = os.path.join(logs, c.name)
        os.makedirs(d)
        e.write_lines(os.path.join(d, f"{c.name}.log"), c.lines)
        total_lines += len(c.lines)
        total_bytes += os.path.getsize(os.path.join(d, f"{c.name}.log"))
    e.log(f"wrote {len(cases)} inputs, {total_lines} lines, {total_bytes} bytes")

    # 1. --once: outputs checked event by event; every line accounted for.
    out1 = ctx.mkdir("out1")
    t_start = datetime.datetime.now(datetime.timezone.utc).timestamp()
    a = ctx.run_once(config(ctx, cases, logs, out1, ctx.path("data1"), None), timeout=120)
    window = (int((t_start - 5) * NS), int((datetime.datetime.now(datetime.timezone.utc)
                                            .timestamp() + 5) * NS))
    s = a.summary()
    e.log(f"[once] summary: {s}")
    e.check(s["lines"] == total_lines and s["bytes"] == total_bytes,
            f"summary read {s['lines']} lines/{s['bytes']} bytes, want {total_lines}/{total_bytes}")
    e.check(s["acked"] == total_lines and s["failed"] == 0,
            f"summary: {s['acked']} acknowledged, {s['failed']} failed of {total_lines}")
    delivered = check_outputs(cases, logs, out1, window)
    thr = next(c for c in cases if c.name == "throttle")
    kept = delivered["throttle"]
    upper = 100 * (s["seconds"] + 2) + 100
    e.check(100 <= kept <= upper, f"throttle kept {kept} of 3000 (want 100..{upper:.0f} for a "
                                   f"{s['seconds']:.2f} s run at 100/s, burst 100)")
    e.log(f"  throttle: kept {kept}, throttled {len(thr.lines) - kept}")

    # 2. Metrics: the same inputs again without --once; counters once all outputs are complete.
    port = e.free_port()
    out2 = ctx.mkdir("out2")
    agent = ctx.agent(config(ctx, cases, logs, out2, ctx.path("data2"), port), label="metrics")
    agent.start()

    def complete() -> bool:
        for c in cases:
            if not c.exact_count:
                continue
            p = os.path.join(out2, f"{c.name}.ndjson")
            if not os.path.exists(p):
                return False
            with open(p, "rb") as f:
                if f.read().count(b"\n") < len(c.expected):
                    return False
        m = e.try_scrape(port)
        if m is None:
            return False
        got = (m.get("logagent_processor_events_total", pipeline="throttle", result="kept") or 0) + \
              (m.get("logagent_processor_events_total", pipeline="throttle",
                     result="throttled") or 0)
        return got == len(thr.lines)

    e.wait_for(complete, 60, "all outputs of the metrics run", agent=agent)
    m = e.scrape(port)
    for c in cases:
        n_in = m.get("logagent_input_lines_total", pipeline=c.name)
        e.check(n_in == len(c.lines), f"{c.name}: logagent_input_lines_total {n_in}, want "
                                      f"{len(c.lines)}")
        for name, labels, value in c.metrics:
            got = m.get(name, pipeline=c.name, **labels)
            e.check(got == value, f"{c.name}: {name}{labels} = {got}, want {value}")
        if c.exact_count:
            ok = m.get("logagent_sink_events_total", pipeline=c.name, result="ok")
            e.check(ok == len(c.expected), f"{c.name}: sink ok {ok}, want {len(c.expected)}")
    e.check(agent.stop() == 0, "the metrics run did not exit 0 on SIGTERM")
    e.log("metrics: parser, timestamp and processor counters match the inputs")


if __name__ == "__main__":
    e.main("parsers_e2e", body)
