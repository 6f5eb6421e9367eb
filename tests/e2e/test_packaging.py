#!/usr/bin/env python3
"""Packaging and deployment files (packaging/) are consistent with the agent they deploy.

- Grafana dashboard: valid JSON, unique panel ids, and every metric its PromQL (and template
  variables) query is one the agent exports -- checked against a live scrape of an agent running
  tail -> json -> file + kafka sinks against a real broker (tests/kafka/kafka.sh), plus a kafka
  sink whose broker is down (so the error and broker-down series exist) -- with the labels the
  queries group and filter by.
- Kubernetes: packaging/kubernetes/daemonset.yaml parses as multi-document YAML with the expected
  kinds and required fields; the DaemonSet's selector matches its template labels, every
  volumeMount names a volume, probes and scrape annotations use the container's port, which is
  the port the ConfigMap's config listens on; the ConfigMap's config passes `logagent validate`
  with exactly the environment the pod defines.
- The .deb's default config (packaging/config/logagent.yaml) and the container image's config
  (the file the Dockerfile copies to /etc/logagent/logagent.yaml) pass `logagent validate` with an
  empty environment; the Dockerfile installs the Debian package of every shared library the
  binary links; the systemd unit and the CMake install rules agree on paths.
"""

import json
import os
import re
import subprocess
import time

import e2e_lib as e
from test_kafka_delivery import KafkaBroker

try:
    import yaml  # python3-yaml (packaging/bootstrap.sh)
except ImportError:  # pragma: no cover - reported as a test failure below
    yaml = None

LINES = 3000

# --------------------------------------------------------------------------------------------
# PromQL: which metrics and labels an expression uses

_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
             "unless", "offset", "inf", "nan"}
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_MATCHERS = re.compile(r"\{([^}]*)\}")
_MATCHER_NAME = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")


def promql_metrics(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not function calls, keywords,
    label names (in {...} or by/without (...)), numbers, durations or Grafana $variables."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = _MATCHERS.sub(" ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\$\{?\w+\}?", " ", s)
    s = _GROUPING.sub(" ", s)
    names = set()
    for m in _IDENT.finditer(s):
        if m.start() > 0 and (s[m.start() - 1].isdigit() or s[m.start() - 1] == "."):
            continue  # the exponent or unit of a number (1e3, 5m)
        if s[m.end():].lstrip().startswith("(") or m.group(0).lower() in _KEYWORDS:
            continue
        names.add(m.group(0))
    return names


def promql_labels(expr: str) -> set[str]:
    """Label names an expression groups by or filters on."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    labels = set()
    for m in _GROUPING.finditer(s):
        labels |= {x.strip() for x in m.group(2).split(",") if x.strip()}
    for m in _MATCHERS.finditer(s):
        labels |= set(_MATCHER_NAME.findall(m.group(1)))
    return labels


def self_test_promql() -> None:
    """The extraction itself, on known expressions: a checker that finds nothing passes all."""
    cases = {
        'histogram_quantile(0.99, sum by (pipeline, le) (rate(a_bucket{x=~"$v",y="q(z)"}'
        '[$__rate_interval])))': ({"a_bucket"}, {"pipeline", "le", "x", "y"}),
        "sum without (sink) (b_total offset 5m) / on (pipeline) group_left c": (
            {"b_total", "c"}, {"sink", "pipeline"}),
        "1e3 * max(d) > bool 0.5": ({"d"}, set()),
        'count by (version) (e{instance=~"$instance"}) or vector(0)': (
            {"e"}, {"version", "instance"}),
    }
    for expr, (want_metrics, want_labels) in cases.items():
        got_m, got_l = promql_metrics(expr), promql_labels(expr)
        e.check(got_m == want_metrics and got_l == want_labels,
                f"PromQL extraction of {expr!r}: metrics {got_m} labels {got_l}, want "
                f"{want_metrics} {want_labels}")


# --------------------------------------------------------------------------------------------
# Dashboard


def dashboard_queries(path: str) -> list[tuple[str, str]]:
    """(where, expr) of every query: panel targets (rows included) and template variables, whose
    label_values(METRIC{...}, label) counts as the query METRIC{...}."""
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)  # raises on invalid JSON: reported as a failure with the position
    e.check(isinstance(dash.get("panels"), list) and dash["panels"], f"{path}: no panels")
    e.check(dash.get("title") and dash.get("uid"), f"{path}: no title or uid")
    out: list[tuple[str, str]] = []
    ids: list[int] = []
    panels = list(dash["panels"])
    while panels:
        p = panels.pop(0)
        panels.extend(p.get("panels", []))
        ids.append(p.get("id"))
        e.check("gridPos" in p, f"panel {p.get('title')!r} has no gridPos")
        if p.get("type") == "row":
            continue
        targets = p.get("targets") or []
        e.check(targets, f"panel {p.get('title')!r} has no query")
        for t in targets:
            e.check(t.get("expr"), f"panel {p.get('title')!r}: target without expr")
            out.append((f"panel {p.get('title')!r}", t["expr"]))
    e.check(len(ids) == len(set(ids)) and None not in ids, f"panel ids not unique: {ids}")
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.fullmatch(r"\s*label_values\((.*),\s*([a-zA-Z_]\w*)\s*\)\s*", q or "")
        e.check(m is not None, f"variable {v.get('name')}: unsupported query {q!r}")
        out.append((f"variable {v.get('name')!r}", f"count by ({m.group(2)}) ({m.group(1)})"))
    return out


def check_dashboard(queries: list[tuple[str, str]], metrics: e.Metrics) -> list[str]:
    """Problems: metrics a query uses that the scrape lacks, and labels it uses that no sample
    of its metric has (instance and job come from Prometheus, le from histograms)."""
    labels_of: dict[str, set[str]] = {}
    for name, labels, _ in metrics.samples:
        labels_of.setdefault(name, set()).update(labels)
    problems = []
    for where, expr in queries:
        names = promql_metrics(expr)
        if not names:
            problems.append(f"{where}: no metric in {expr!r}")
        for name in sorted(names):
            if name not in labels_of:
                problems.append(f"{where}: {name} is not exported by the agent")
                continue
            missing = promql_labels(expr) - labels_of[name] - {"instance", "job"}
            if missing:
                problems.append(f"{where}: {name} has no label(s) {sorted(missing)} "
                                f"(it has {sorted(labels_of[name])})")
    return problems


def live_scrape(ctx: e.Context) -> e.Metrics:
    """Runs the agent with a tail input, a json stage, a file and a kafka sink against a real
    broker, and a second pipeline whose kafka sink has no broker; writes lines, waits until
    both sinks acknowledged them all and the broker-down errors are counted; scrapes."""
    logs = ctx.mkdir("logs")
    lines = [(b'{"seq": %d, "msg": "hello"}' % i if i % 2 else b"plain line %d" % i)
             for i in range(LINES)]
    e.write_lines(os.path.join(logs, "app.log"), lines)
    broker = KafkaBroker(ctx)
    port = e.free_port()
    cfg = {
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
                       {"type": "kafka", "brokers": [broker.bootstrap], "topic": "packaging"}]},
            {"name": "down",
             "input": {"type": "tail", "paths": [os.path.join(ctx.mkdir("none"), "*.log")]},
             "sinks": [{"type": "kafka", "brokers": ["127.0.0.1:1"], "topic": "down"}]},
        ],
    }
    config = e.write_config(ctx.path("scrape.yaml"), cfg)
    try:
        broker.start()
        agent = ctx.agent(config, label="scrape").start()

        def settled() -> bool:
            m = e.try_scrape(port)
            return (m is not None
                    and m.get("logagent_sink_events_total", sink="kafka", result="ok") == LINES
                    and m.get("logagent_sink_events_total", sink="file", result="ok") == LINES
                    and (m.get("logagent_kafka_errors_total", pipeline="down") or 0) > 0)

        waited = e.wait_for(settled, 90, f"both sinks acknowledging {LINES} lines and the "
                            "down sink counting errors", interval=0.25, agent=agent)
        metrics = e.scrape(port)
        agent.stop(timeout=30)
    finally:
        broker.stop()
    e.check(metrics.get("logagent_input_lines_total", pipeline="app") == LINES,
            f"logagent_input_lines_total{{pipeline=app}} is "
            f"{metrics.get('logagent_input_lines_total', pipeline='app')}, want {LINES}")
    names = {n for n, _, _ in metrics.samples}
    e.log(f"scraped {len(metrics.samples)} samples of {len(names)} series names "
          f"{waited:.1f} s after start")
    return metrics


# --------------------------------------------------------------------------------------------
# Configs and manifests


def validate(ctx: e.Context, path: str, env: dict[str, str]) -> None:
    """`logagent validate` with only `env` (and PATH) in the environment."""
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    p = subprocess.run([ctx.logagent, "validate", "-c", path], capture_output=True, text=True,
                       timeout=30, cwd=ctx.dir, env=full)
    e.check(p.returncode == 0, f"logagent validate -c {path} (env {sorted(env)}) exited "
                               f"{p.returncode}:\n{p.stderr.strip()}")
    e.log(f"valid: {os.path.relpath(path, ctx.source_dir) if path.startswith(ctx.source_dir) else path}"
          f" (env {sorted(env) or 'empty'})")


def size_bytes(text: str) -> int:
    """64MiB / 192Mi / 1Gi / 512KiB -> bytes."""
    m = re.fullmatch(r"(\d+)\s*(Ki|Mi|Gi|KiB|MiB|GiB)?", str(text).strip())
    e.check(m is not None, f"unparseable size {text!r}")
    unit = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}.get((m.group(2) or "")[:2], 1)
    return int(m.group(1)) * unit


def check_kubernetes(ctx: e.Context) -> None:
    path = os.path.join(ctx.source_dir, "packaging", "kubernetes", "daemonset.yaml")
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    kinds = [d.get("kind") for d in docs]
    e.check(sorted(kinds) == ["ConfigMap", "DaemonSet", "Namespace", "ServiceAccount"],
            f"daemonset.yaml kinds: {kinds}")
    by_kind = {d["kind"]: d for d in docs}
    ns = by_kind["Namespace"]["metadata"].get("name")
    for d in docs:
        e.check(d.get("apiVersion") and d.get("metadata", {}).get("name"),
                f"{d.get('kind')}: apiVersion and metadata.name are required")
        if d["kind"] != "Namespace":
            e.check(d["metadata"].get("namespace") == ns,
                    f"{d['kind']} {d['metadata']['name']}: namespace is not {ns!r}")
    e.check(by_kind["DaemonSet"]["apiVersion"] == "apps/v1", "DaemonSet: apiVersion apps/v1")

    ds = by_kind["DaemonSet"]["spec"]
    selector = ds["selector"]["matchLabels"]
    tmpl = ds["template"]
    labels = tmpl["metadata"]["labels"]
    e.check(selector and all(labels.get(k) == v for k, v in selector.items()),
            f"DaemonSet selector {selector} does not match the template labels {labels}")
    pod = tmpl["spec"]
    e.check(pod.get("serviceAccountName") == by_kind["ServiceAccount"]["metadata"]["name"],
            "the pod's serviceAccountName is not the ServiceAccount")
    e.check({"operator": "Exists"} in pod.get("tolerations", []),
            "no toleration for every taint (operator: Exists)")
    volumes = {v["name"]: v for v in pod["volumes"]}
    e.check(len(volumes) == len(pod["volumes"]), "duplicate volume names")
    containers = pod["containers"]
    e.check(len(containers) == 1, "one container expected")
    c = containers[0]
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    for m in c["volumeMounts"]:
        e.check(m["name"] in volumes, f"volumeMount {m['name']} has no volume")
    varlog = mounts.get("/var/log")
    e.check(varlog and varlog.get("readOnly") is True
            and volumes[varlog["name"]].get("hostPath", {}).get("path") == "/var/log",
            "/var/log must be the hostPath /var/log, mounted read-only")
    data = mounts.get("/var/lib/logagent")
    e.check(data and volumes[data["name"]].get("hostPath", {}) ==
            {"path": "/var/lib/logagent", "type": "DirectoryOrCreate"},
            "/var/lib/logagent must be the hostPath /var/lib/logagent (DirectoryOrCreate)")

    # The config: the ConfigMap key that the container's -c FILE names through its mount.
    args = c.get("command", []) + c.get("args", [])
    e.check("-c" in args, f"container args {args} have no -c FILE")
    cfg_file = args[args.index("-c") + 1]
    cfg_mount = mounts.get(os.path.dirname(cfg_file))
    e.check(cfg_mount is not None, f"{cfg_file}: its directory is not a volumeMount")
    cm_ref = volumes[cfg_mount["name"]].get("configMap", {}).get("name")
    cm = by_kind["ConfigMap"]
    e.check(cm_ref == cm["metadata"]["name"], f"config volume refers to ConfigMap {cm_ref!r}")
    key = os.path.basename(cfg_file)
    e.check(key in cm.get("data", {}), f"ConfigMap has no key {key!r}")
    cfg_text = cm["data"][key]
    cfg = yaml.safe_load(cfg_text)

    # Ports: the container port is the config's metrics port, the probes' and the scrape's.
    port = int(cfg["metrics"]["listen"].rsplit(":", 1)[1])
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    e.check(port in ports.values(), f"metrics port {port} is not a containerPort ({ports})")
    for probe, want_path in (("livenessProbe", "/healthz"), ("readinessProbe", "/ready")):
        get = c.get(probe, {}).get("httpGet", {})
        p = get.get("port")
        e.check(get.get("path") == want_path and (p == port or ports.get(p) == port),
                f"{probe}: want GET {want_path} on port {port}, got {get}")
    ann = tmpl["metadata"].get("annotations", {})
    e.check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") ==
            str(port), f"prometheus.io annotations {ann} do not point at port {port}")
    e.check(cfg["data_dir"] == "/var/lib/logagent", "data_dir is not the hostPath mount")
    pipeline = cfg["pipelines"][0]
    e.check(pipeline["input"]["paths"] == ["/var/log/containers/*.log"]
            and [s["type"] for s in pipeline.get("stages", [])][:1] == ["cri"]
            and [s["type"] for s in pipeline["sinks"]] == ["kafka"],
            "the ConfigMap pipeline must tail /var/log/containers/*.log with cri -> kafka")

    # A journald pipeline reads a directory the pod mounts from the host.
    mounts = [m["mountPath"] for m in c.get("volumeMounts", [])]
    for p in cfg["pipelines"]:
        if p["input"]["type"] == "journald":
            d = p["input"].get("directory", "")
            e.check(any(d == m or d.startswith(m.rstrip("/") + "/") for m in mounts),
                    f"journald directory {d!r} is not under a volumeMount ({mounts})")

    # Security and resources.
    sc = c.get("securityContext", {})
    e.check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is
            False and sc.get("capabilities") == {"drop": ["ALL"], "add": ["DAC_READ_SEARCH"]},
            f"securityContext: {sc}")
    limit = size_bytes(c["resources"]["limits"]["memory"])
    queue = sum(size_bytes(s.get("queue_bytes", "32MiB")) for p in cfg["pipelines"]
                for s in p["sinks"] if s["type"] == "kafka")
    floor = size_bytes(cfg["memory"]["buffer_pool"]) + queue
    e.check(limit > floor, f"memory limit {limit} is not above buffer_pool + queue_bytes {floor}")
    e.check(int(pod.get("terminationGracePeriodSeconds", 30)) > int(
        str(cfg.get("shutdown_timeout", "10s")).rstrip("s")), "grace period <= shutdown_timeout")

    # The pod's environment, and nothing else, makes the config valid.
    env = {}
    for v in c.get("env", []):
        if "value" in v:
            env[v["name"]] = str(v["value"])
        else:
            e.check(v.get("valueFrom", {}).get("fieldRef"), f"env {v['name']}: unsupported")
            env[v["name"]] = f"from-{v['valueFrom']['fieldRef']['fieldPath']}"
    e.check(env.get("NODE_NAME") == "from-spec.nodeName", "NODE_NAME must come from spec.nodeName")
    e.check("${NODE_NAME}" in cfg_text, "the config does not use ${NODE_NAME}")
    extracted = ctx.path("configmap-logagent.yaml")
    with open(extracted, "w", encoding="utf-8") as f:
        f.write(cfg_text)
    validate(ctx, extracted, env)


def check_dockerfile_and_configs(ctx: e.Context) -> None:
    src = ctx.source_dir
    validate(ctx, os.path.join(src, "packaging", "config", "logagent.yaml"), {})

    dockerfile = os.path.join(src, "packaging", "container", "Dockerfile")
    with open(dockerfile, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    runtime = text[text.rindex("\nFROM "):]  # the last stage is the image
    copy = re.search(r"^COPY\s+(?!--from)(\S+)\s+/etc/logagent/logagent\.yaml\s*$", runtime, re.M)
    e.check(copy is not None, "the Dockerfile copies no config to /etc/logagent/logagent.yaml")
    container_cfg = os.path.join(src, copy.group(1))
    validate(ctx, container_cfg, {})
    with open(container_cfg, encoding="utf-8") as f:
        port = yaml.safe_load(f)["metrics"]["listen"].rsplit(":", 1)[1]
    e.check(re.search(rf"^EXPOSE\s+{port}\b", runtime, re.M), f"no EXPOSE {port}")
    user = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    e.check(user and re.fullmatch(r"[1-9]\d*(:\d+)?", user[-1]),
            f"the image's USER must be a numeric non-root uid, got {user}")
    e.check(re.search(r'^ENTRYPOINT\s+\["/usr/bin/logagent"\]', runtime, re.M),
            "ENTRYPOINT is not /usr/bin/logagent")

    # Every shared library the binary links comes from a package the runtime stage installs
    # (or from the base image's essential packages).
    install = re.search(r"apt-get install[^&]*", runtime)
    e.check(install is not None, "the runtime stage installs no packages")
    packages = {w for w in install.group(0).split() if not w.startswith("-")}
    base = {"libc6", "libgcc-s1", "libstdc++6"}
    elf = subprocess.run(["readelf", "-d", ctx.logagent], capture_output=True, text=True,
                         check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", elf)
    sanitized = os.environ.get("LOGAGENT_SANITIZED") == "1"
    missing = []
    for lib in needed:
        if sanitized and re.match(r"lib(asan|ubsan|tsan)\.", lib):
            continue
        owner = None
        for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib", "/lib"):
            path = os.path.join(d, lib)
            if os.path.exists(path):
                for p in {os.path.realpath(path), path, os.path.realpath(path).replace(
                        "/usr/lib/", "/lib/", 1)}:
                    r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
                    if r.returncode == 0:
                        owner = r.stdout.split(":")[0]
                        break
            if owner:
                break
        e.check(owner is not None, f"no Debian package owns {lib}")
        if owner not in packages | base:
            missing.append(f"{lib} ({owner})")
    e.check(not missing, f"the Dockerfile's runtime stage does not install: {missing}")
    e.log(f"Dockerfile installs the packages of all {len(needed)} NEEDED libraries")

    # The unit and the .deb agree: binary, config path, user, stop timeout.
    with open(os.path.join(src, "packaging", "systemd", "logagent.service")) as f:
        unit = dict(re.findall(r"^(\w+)=(.*)$", f.read(), re.M))
    e.check(unit.get("Type") == "notify" and unit.get("User") == "logagent",
            f"unit: Type={unit.get('Type')} User={unit.get('User')}")
    e.check(unit.get("ExecStart", "").split() ==
            ["/usr/bin/logagent", "run", "-c", "/etc/logagent/logagent.yaml"],
            f"unit ExecStart: {unit.get('ExecStart')}")
    with open(os.path.join(src, "packaging", "config", "logagent.yaml")) as f:
        default = yaml.safe_load(f)
    stop = int(unit["TimeoutStopSec"].rstrip("s"))
    e.check(stop > int(str(default.get("shutdown_timeout", "10s")).rstrip("s")),
            "TimeoutStopSec is not above the default config's shutdown_timeout")
    with open(os.path.join(src, "CMakeLists.txt")) as f:
        cmake = f.read()
    e.check(re.search(r"install\(FILES packaging/config/logagent\.yaml DESTINATION /etc/logagent\)",
                      cmake), "CMakeLists.txt does not install the default config to /etc")
    with open(os.path.join(src, "packaging", "debian", "conffiles")) as f:
        e.check("/etc/logagent/logagent.yaml" in f.read().split(), "config is not a conffile")


def body(ctx: e.Context) -> None:
    e.check(yaml is not None, "python3-yaml is missing (packaging/bootstrap.sh installs it)")
    self_test_promql()
    check_dockerfile_and_configs(ctx)
    check_kubernetes(ctx)

    dashboard = os.path.join(ctx.source_dir, "packaging", "grafana", "logagent-dashboard.json")
    queries = dashboard_queries(dashboard)
    used = set().union(*(promql_metrics(q) for _, q in queries))
    e.log(f"dashboard: {len(queries)} queries over {len(used)} metrics")
    metrics = live_scrape(ctx)
    # The checker must be able to fail: a misspelt name and a label the metric lacks.
    bogus = check_dashboard([("probe", 'rate(logagent_input_line_total[1m])'),
                             ("probe", 'sum by (sink) (logagent_buffer_pool_in_use)')], metrics)
    e.check(len(bogus) == 2, f"the dashboard checker missed a bad query: {bogus}")
    problems = check_dashboard(queries, metrics)
    e.check(not problems, "dashboard queries what the agent does not export:\n  "
            + "\n  ".join(problems))
    e.log(f"dashboard: all {len(used)} metrics and their labels are in the live scrape")


if __name__ == "__main__":
    e.main("packaging", body)
