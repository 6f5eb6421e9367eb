#!/usr/bin/env python3
"""A real Prometheus scrapes a running agent; every query of the Grafana dashboard returns data,
and the alert rules of packaging/prometheus/ load and evaluate without errors.

- `promtool check rules` and `promtool test rules` on packaging/prometheus/ (the rules' own unit
  tests: each alert fires on a faulty synthetic series and not on a healthy one).
- The agent runs pipeline "app" (tail -> json -> file + kafka against a real broker,
  tests/kafka/kafka.sh) under a steady load of lines, and pipeline "down" whose kafka sink has no
  broker. Debian's prometheus (packaging/bootstrap.sh installs it), started here on a free port
  of 127.0.0.1 with its own configuration and storage in the test directory, scrapes the agent
  every second and evaluates the alert rules every second.
- The fault: the broker is stopped while the load goes on (Prometheus must see broker_up 0 and
  the Kafka errors), then started again; the test waits until Prometheus has seen every line
  delivered to both sinks.
- Every panel query and template variable of packaging/grafana/logagent-dashboard.json, with
  $instance and $pipeline as "all" (.*) and $__rate_interval as 4 scrape intervals, is evaluated
  through /api/v1/query and must return at least one series; /api/v1/rules must show every
  rule of the rules file loaded, evaluated and healthy, and the "down" pipeline's missing broker
  must have made LogagentNotReady pending or firing.

Skipped, with the reason printed, only when prometheus or promtool is not installed.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml  # python3-yaml (packaging/bootstrap.sh)

import e2e_lib as e
from test_kafka_delivery import KafkaBroker
from test_packaging import dashboard_queries

SCRAPE_SECONDS = 1
RATE_INTERVAL = f"{4 * SCRAPE_SECONDS}s"  # Grafana's $__rate_interval: >= 4 scrape intervals
LINES_PER_TICK = 50
TICK_SECONDS = 0.05


def rules_dir(ctx: e.Context) -> str:
    return os.path.join(ctx.source_dir, "packaging", "prometheus")


def promtool_checks(ctx: e.Context) -> None:
    """The rules parse (`check rules`) and pass their unit tests (`test rules`)."""
    for argv in (["promtool", "check", "rules", "logagent-alerts.yaml"],
                 ["promtool", "test", "rules", "logagent-alerts.test.yaml"]):
        p = subprocess.run(argv, cwd=rules_dir(ctx), capture_output=True, text=True, timeout=120)
        e.check(p.returncode == 0, f"{' '.join(argv)} exited {p.returncode}:\n"
                                   f"{p.stdout[-4000:]}{p.stderr[-4000:]}")
        e.log(f"{' '.join(argv)}: {(p.stdout + p.stderr).strip().splitlines()[-1].strip()}")


class Prometheus:
    """A prometheus process with its own configuration and storage in the test directory."""

    def __init__(self, ctx: e.Context, agent_port: int):
        self.ctx = ctx
        self.port = e.free_port()
        self.dir = ctx.mkdir("prometheus")
        rules = os.path.join(rules_dir(ctx), "logagent-alerts.yaml")
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump({  # JSON is YAML
                "global": {"scrape_interval": f"{SCRAPE_SECONDS}s",
                           "scrape_timeout": f"{SCRAPE_SECONDS}s",
                           "evaluation_interval": f"{SCRAPE_SECONDS}s"},
                "rule_files": [rules],
                "scrape_configs": [{"job_name": "logagent", "static_configs": [
                    {"targets": [f"127.0.0.1:{agent_port}"]}]}],
            }, f, indent=1)
        self.proc: subprocess.Popen | None = None
        self.stderr_path = os.path.join(self.dir, "prometheus.stderr")

    def start(self) -> "Prometheus":
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                ["prometheus", f"--config.file={self.config}",
                 f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                cwd=self.dir)
        e.wait_for(self.ready, 60, "prometheus answering /-/ready", interval=0.2)
        e.log(f"prometheus on 127.0.0.1:{self.port}, scraping every {SCRAPE_SECONDS} s")
        return self

    def ready(self) -> bool:
        e.check(self.proc.poll() is None, f"prometheus exited with {self.proc.returncode}:\n"
                                          f"{self.stderr()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stderr(self) -> str:
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()[-4000:]

    def api(self, path: str, **params: str) -> dict:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                body = json.load(r)
        except urllib.error.HTTPError as err:
            body = json.loads(err.read() or b"{}")
        e.check(body.get("status") == "success",
                f"prometheus {path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict]:
        """Evaluates `expr` now, or at the Unix time `at`."""
        data = self.api("query", query=expr, **({"time": f"{at:.3f}"} if at else {}))
        e.check(data["resultType"] == "vector", f"{expr}: result type {data['resultType']}")
        return data["result"]

    def value(self, expr: str) -> float | None:
        """The value of a query that returns one series, else None."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if len(result) == 1 else None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def grafana_expr(expr: str) -> str:
    """A dashboard expression as Grafana sends it with every variable at "All"."""
    return (expr.replace("$__rate_interval", RATE_INTERVAL).replace("${instance}", ".*")
            .replace("$instance", ".*").replace("${pipeline}", ".*")
            .replace("$pipeline", ".*"))


def agent_config(ctx: e.Context, broker: KafkaBroker, port: int) -> str:
    logs = ctx.mkdir("logs")
    return e.write_config(ctx.path("agent.yaml"), {
        "data_dir": ctx.path("data"),
        "metrics": {"listen": f"127.0.0.1:{port}"},
        "memory": {"buffer_pool": "16MiB"},
        "checkpoint_interval": "500ms",
        "shutdown_timeout": "5s",
        "pipelines": [
            {"name": "app", "workers": 2,
             "input": {"type": "tail", "paths": [os.path.join(logs, "*.log")],
                       "read_from": "head"},
             "stages": [{"type": "json", "on_error": "keep"}],
             "sinks": [e.file_sink(ctx.path("out", "app.ndjson")),
                       {"type": "kafka", "brokers": [broker.bootstrap], "topic": "prometheus"}]},
            {"name": "down",
             "input": {"type": "tail", "paths": [os.path.join(ctx.mkdir("none"), "*.log")]},
             "sinks": [{"type": "kafka", "brokers": ["127.0.0.1:1"], "topic": "down"}]},
        ],
    })


class Load:
    """Appends LINES_PER_TICK lines (json and plain, so parse errors are counted too) to
    logs/app.log every TICK_SECONDS on a background thread."""

    def __init__(self, ctx: e.Context):
        self.f = open(ctx.path("logs", "app.log"), "ab", buffering=0)
        self.written = 0
        self.bg = e.Background(self.tick, TICK_SECONDS)

    def tick(self) -> None:
        chunk = b"".join((b'{"seq": %d, "msg": "hello"}\n' % i if i % 4 else
                          b"plain line %d\n" % i)
                         for i in range(self.written, self.written + LINES_PER_TICK))
        self.f.write(chunk)
        self.written += LINES_PER_TICK

    def start(self) -> "Load":
        self.bg.start()
        return self

    def stop(self) -> int:
        self.bg.stop()
        self.f.close()
        return self.written


def wait_prom(prom: Prometheus, expr: str, want, what: str, agent: e.Agent,
              timeout: float = 120) -> None:
    """Waits until Prometheus evaluates `expr` (one series) to a value `want` accepts."""
    last: dict[str, float | None] = {}

    def holds() -> bool:
        last["v"] = prom.value(expr)
        return last["v"] is not None and want(last["v"])

    try:
        waited = e.wait_for(holds, timeout, what, interval=0.5, agent=agent)
    except e.TestFailure as err:
        raise e.TestFailure(f"{err} (prometheus: {expr} = {last.get('v')})") from None
    e.log(f"prometheus saw {what} ({expr} = {last['v']:g}) after {waited:.1f} s")


def run_through_fault(ctx: e.Context, prom: Prometheus, broker: KafkaBroker,
                      agent: e.Agent) -> float:
    """Load, the broker stopped and started again under it, then every line delivered -- each
    step as Prometheus saw it in its scrapes. Returns a Unix time under load, after the fault."""
    app_ok = 'sum(logagent_sink_events_total{job="logagent",pipeline="app",sink="%s",result="ok"})'
    load = Load(ctx).start()
    try:
        wait_prom(prom, f'sum(rate(logagent_input_lines_total{{pipeline="app"}}[{RATE_INTERVAL}]))',
                  lambda v: v > 0, "lines read under load", agent)
        wait_prom(prom, f'count_over_time(up{{job="logagent"}}[1m])', lambda v: v >= 10,
                  "ten scrapes of the agent", agent)
        broker.stop(keep=True)
        wait_prom(prom, 'min(logagent_kafka_broker_up{pipeline="app"})', lambda v: v == 0,
                  "the app sink's broker down", agent)
        wait_prom(prom, f'sum(increase(logagent_kafka_errors_total{{pipeline="app"}}[1m]))',
                  lambda v: v > 0, "Kafka errors counted for the app sink", agent)
        wait_prom(prom, 'sum(logagent_input_bytes_behind{pipeline="app"})', lambda v: v > 0,
                  "bytes behind during the outage", agent)
        wait_prom(prom, 'max(logagent_pipeline_oldest_unacked_age_seconds{pipeline="app"})',
                  lambda v: v > 1, "an unacknowledged batch older than 1 s", agent)
        broker.start()
        wait_prom(prom, 'min(logagent_kafka_broker_up{pipeline="app"})', lambda v: v == 1,
                  "the app sink's broker up again", agent)
        wait_prom(prom, f'sum(rate(logagent_kafka_delivered_messages_total{{pipeline="app"}}'
                  f'[{RATE_INTERVAL}]))', lambda v: v > 0, "Kafka deliveries again", agent)
        under_load = time.time()
    finally:
        written = load.stop()
    e.log(f"load stopped: {written} lines written")
    for sink in ("file", "kafka"):
        wait_prom(prom, app_ok % sink, lambda v: v >= written,
                  f"all {written} lines acknowledged by the {sink} sink", agent)
    return under_load


def check_dashboard(ctx: e.Context, prom: Prometheus, at: float) -> None:
    """Every dashboard query returns series at the time `at` (under load)."""
    path = os.path.join(ctx.source_dir, "packaging", "grafana", "logagent-dashboard.json")
    queries = dashboard_queries(path)
    empty: list[str] = []
    flat: dict[str, bool] = {}  # panel -> every target only 0 or NaN at `at` (informational)
    for where, expr in queries:
        result = prom.query(grafana_expr(expr), at)
        if not result:
            empty.append(f"{where}: {expr}")
        zero = all(r["value"][1] in ("0", "NaN") for r in result)
        flat[where] = flat.get(where, True) and zero
    e.check(not empty, f"{len(empty)} of {len(queries)} dashboard queries returned no series:\n  "
                       + "\n  ".join(empty))
    e.log(f"all {len(queries)} dashboard queries returned series "
          f"(only 0 or NaN under load: {', '.join(w for w, z in flat.items() if z) or 'none'})")


def check_rules(ctx: e.Context, prom: Prometheus) -> None:
    """Every rule of the file loaded, evaluated, healthy; LogagentNotReady pending or firing for
    the pipeline without a broker."""
    with open(os.path.join(rules_dir(ctx), "logagent-alerts.yaml"), encoding="utf-8") as f:
        want = {r["alert"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]}
    problems: list[str] = []

    def evaluated() -> bool:
        problems.clear()
        rules = [r for g in prom.api("rules")["groups"] for r in g["rules"]]
        names = {r["name"] for r in rules}
        if names != want:
            problems.append(f"loaded {sorted(names)}, want {sorted(want)}")
        for r in rules:
            if r.get("health") != "ok" or r.get("lastError"):
                problems.append(f"{r['name']}: health {r.get('health')} {r.get('lastError')}")
            if r.get("lastEvaluation", "").startswith("0001-"):
                problems.append(f"{r['name']}: never evaluated")
        not_ready = [a for r in rules if r["name"] == "LogagentNotReady"
                     for a in r.get("alerts", [])]
        if not any(a["labels"].get("pipeline") == "down" for a in not_ready):
            problems.append(f"LogagentNotReady has no alert for pipeline down: {not_ready}")
        return not problems

    try:
        e.wait_for(evaluated, 60, "every alert rule evaluated and healthy", interval=0.5)
    except e.TestFailure as err:
        raise e.TestFailure(f"{err}: " + "; ".join(problems)) from None
    states = {a["labels"]["alertname"] + "{" + a["labels"].get("pipeline", "") + "}": a["state"]
              for a in prom.api("alerts")["alerts"]}
    e.log(f"all {len(want)} alert rules healthy; alerts: {states}")


def body(ctx: e.Context) -> None:
    missing = [t for t in ("prometheus", "promtool") if shutil.which(t) is None]
    if missing:
        e.log(f"SKIP prometheus: {' and '.join(missing)} not installed "
              "(packaging/bootstrap.sh installs Debian's prometheus package)")
        return
    promtool_checks(ctx)
    broker = KafkaBroker(ctx, keep_dir=True)
    port = e.free_port()
    config = agent_config(ctx, broker, port)
    prom = Prometheus(ctx, port)
    try:
        broker.start()
        agent = ctx.agent(config, label="agent").start()
        prom.start()
        under_load = run_through_fault(ctx, prom, broker, agent)
        check_dashboard(ctx, prom, under_load)
        check_rules(ctx, prom)
        agent.stop(timeout=30)
    finally:
        prom.stop()
        broker.stop()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    e.main("prometheus", body)
