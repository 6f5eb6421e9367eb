#!/usr/bin/env python3
"""Pod labels and annotations from the Kubernetes API server (tail `kubernetes: {api: ...}`),
against a fake API server: no real one can run on the test machine (Debian 12 packages no
kube-apiserver), so a Python HTTPS server replays a recorded exchange
(kubernetes_api/exchange.json, in kube-apiserver's v1 shapes): a pod LIST, then a WATCH stream
with ADDED, MODIFIED, BOOKMARK, DELETED and an ERROR 410 (resourceVersion expired), then a new
LIST and a WATCH from its resourceVersion. The server speaks TLS with a certificate of a test CA
made here by openssl, and answers 401 to any request without the service account's bearer token.

The agent follows a reproduction of the kubelet's layout (/var/log/containers links into
/var/log/pods) with `api: {enabled: true, labels: [app, team], annotations: [owner]}`, its
service account directory (token, ca.crt, namespace) given by `service_account_dir`, the server
by KUBERNETES_SERVICE_HOST/PORT and the node by NODE_NAME, as the DaemonSet gives them. Checked:
  - every line delivered once, with the selected labels and annotations of its pod as they were
    when its file was first read (k8s.label.<key>, k8s.annotation.<key>), and no other key;
  - pods ADDED and MODIFIED by the watch describe files opened after the event; a DELETED pod's
    files opened later get none; after the 410 the agent lists again and watches from the new
    resourceVersion, and a pod only that list has is known;
  - every request carried the token and the node's field selector; the token never appears in
    the agent's log;
  - the server going away does not stop delivery: files keep being read, new files of cached
    pods keep their labels; when it comes back, its HTTP 410 for the old resourceVersion makes
    the agent list again, and a pod created meanwhile is known. Counts are printed."""

import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

import e2e_lib as e
from kube_fake_server import TlsJsonServer, make_service_account

LINES = 20
TOKEN = "test-token-5f2b9c1d7e"  # must never appear in the agent's log
NODE = "node-a"


class FakeApiServer(TlsJsonServer):
    """Replays the exchange: the LISTs give `lists` in turn (the last one again and again); a
    WATCH from a resourceVersion in `watches` streams its events (holding at "pause" until
    resume()), then ends, or with hold=True stays open until stop(); a WATCH from any other
    resourceVersion gets HTTP 410 Gone."""

    def __init__(self, lists: list[dict], watches: dict[str, list[dict]], hold: set[str],
                 cert: str, key: str, port: int = 0):
        self.list_bodies = lists
        self.watches = watches
        self.hold = hold
        self.requests: list[dict] = []  # {"path", "query", "authorized"}
        self.lists = 0
        self.streamed: list[str] = []  # event types written, in order
        self.gate = threading.Event()
        super().__init__(cert, key, port)

    def resume(self) -> None:
        self.gate.set()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        authorized = h.headers.get("Authorization") == f"Bearer {TOKEN}"
        with self.lock:
            self.requests.append({"path": url.path, "query": query, "authorized": authorized})
        if not authorized:
            return self.send_json(h, 401, {"kind": "Status", "code": 401,
                                           "reason": "Unauthorized"})
        if url.path != "/api/v1/pods":
            return self.send_json(h, 404, {"kind": "Status", "code": 404})
        if query.get("watch") != "1":
            with self.lock:
                body = self.list_bodies[min(self.lists, len(self.list_bodies) - 1)]
                self.lists += 1
            return self.send_json(h, 200, body)
        rv = query.get("resourceVersion", "")
        if rv in self.watches:
            return self.stream(h, self.watches[rv], hold=rv in self.hold)
        self.send_json(h, 410, {"kind": "Status", "code": 410, "reason": "Expired"})

    def stream(self, h: BaseHTTPRequestHandler, events: list[dict], hold: bool) -> None:
        self.start_stream(h)
        for ev in events:
            if ev.get("pause"):
                while not self.gate.wait(0.1):
                    if self.stopping.is_set():
                        return
                continue
            self.chunk(h, json.dumps(ev).encode() + b"\n")
            with self.lock:
                self.streamed.append(ev["type"])
        if hold:  # open until the server goes away; then cut, without the final chunk
            while not self.stopping.wait(0.1):
                pass
            h.close_connection = True
            return
        self.end_stream(h)  # the ERROR ends the watch: the server closes it


class Files:
    """The kubelet's layout: pods/<ns>_<pod>_<uid>/<container>/<restart>.log, linked from
    containers/<pod>_<ns>_<container>-<id>.log. Remembers what each line must carry."""

    def __init__(self, ctx: e.Context):
        self.ctx = ctx
        self.expected: dict[str, dict] = {}  # line id -> {label/annotation key: value}
        ctx.mkdir("var", "log", "containers")
        self.n = 0

    def write(self, ns: str, pod: str, uid: str, restart: int, lines: int, meta: dict) -> None:
        d = self.ctx.mkdir("var", "log", "pods", f"{ns}_{pod}_{uid}", "app")
        path = os.path.join(d, f"{restart}.log")
        link = self.ctx.path("var", "log", "containers", f"{pod}_{ns}_app-{uid[:8]}{restart:04x}.log")
        if not os.path.lexists(link):
            open(path, "ab").close()
            os.symlink(path, link)
        with open(path, "ab") as f:
            for _ in range(lines):
                self.n += 1
                line_id = f"{ns}/{pod}/{restart}/{self.n}"
                f.write(f"{line_id} hello\n".encode())
                self.expected[line_id] = meta


def body(ctx: e.Context) -> None:
    with open(os.path.join(ctx.source_dir, "tests", "e2e", "kubernetes_api",
                           "exchange.json")) as f:
        exchange = json.load(f)
    sa_dir = ctx.mkdir("serviceaccount")
    cert, key = make_service_account(sa_dir, TOKEN)

    def rv(name: str) -> str:
        return exchange[name]["metadata"]["resourceVersion"]
    server = FakeApiServer([exchange["list_1"], exchange["list_2"]],
                           {rv("list_1"): exchange["watch_1"], rv("list_2"): exchange["watch_2"]},
                           {rv("list_2")}, cert, key)

    web = ("shop", "web-7d9f8-x2x4z", "0b5c6e1a-1111-2222-3333-444455556666")
    db = ("data", "db-0", "9f0e4c3b-aaaa-bbbb-cccc-ddddeeeeffff")
    batch = ("jobs", "batch-1-abcde", "77777777-8888-9999-0000-111111111111")
    api = ("shop", "api-5c4b3-qwert", "12345678-9abc-def0-1234-56789abcdef0")
    web_v1 = {"k8s.label.app": "web", "k8s.label.team": "checkout"}
    web_v2 = {"k8s.label.app": "web", "k8s.label.team": "payments"}
    db_meta = {"k8s.label.app": "db", "k8s.annotation.owner": "dba-team"}

    files = Files(ctx)
    files.write(*web, 0, LINES, web_v1)
    files.write(*db, 0, LINES, db_meta)

    port = e.free_port()
    out = ctx.path("out", "k8s.ndjson")
    cfg = e.make_config(
        ctx, paths=[ctx.path("var", "log", "containers", "*.log")], metrics_port=port,
        sinks=[e.file_sink(out, "json")],
        input_extra={"scan_interval": "200ms", "kubernetes": {"api": {
            "enabled": True, "labels": ["app", "team"], "annotations": ["owner"],
            "service_account_dir": sa_dir, "wait": "30s"}}})
    agent = ctx.agent(cfg, label="k8sapi", env={
        "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(server.port),
        "NODE_NAME": NODE}).start()
    follower = e.OutputFollower(out)
    delivered: list[dict] = []

    def caught_up() -> bool:
        delivered.extend(e.parse_json_line(l, "k8s.ndjson") for l in follower.read_new())
        return len(delivered) >= len(files.expected)

    def metric(name: str) -> float:
        m = e.try_scrape(port)
        return (m.get(name, pipeline="app") or 0) if m else 0

    e.wait_for(caught_up, 30, "the lines of the listed pods delivered", agent=agent)

    # The watch reported a new pod (ADDED) and a label change (MODIFIED): files opened now
    # carry them; web's 0.log keeps what it had when it was first read.
    e.wait_for(lambda: metric("logagent_kubernetes_api_events_total") >= 2, 30,
               "the ADDED and MODIFIED events applied", agent=agent)
    files.write(*batch, 0, LINES, {"k8s.label.app": "batch", "k8s.label.team": "data"})
    files.write(*web, 1, LINES, web_v2)
    files.write(*web, 0, 5, web_v1)
    e.wait_for(caught_up, 30, "the lines of the pods the watch reported delivered", agent=agent)

    # DELETED, then 410: the agent lists again and watches from the new resourceVersion.
    server.resume()

    def relisted(srv: FakeApiServer, version: str, lists: int) -> bool:
        with srv.lock:
            watched = any(r["query"].get("resourceVersion") == version for r in srv.requests)
        return watched and metric("logagent_kubernetes_api_lists_total") >= lists
    e.wait_for(lambda: relisted(server, rv("list_2"), 2), 60,
               "a new LIST after the 410, and a WATCH from its resourceVersion", agent=agent)
    e.check(metric("logagent_kubernetes_api_watch_expired_total") == 1,
            "logagent_kubernetes_api_watch_expired_total is not 1")
    files.write(*api, 0, LINES, {"k8s.label.app": "api", "k8s.label.team": "checkout"})
    files.write(*batch, 1, LINES, {})  # deleted: no longer known
    e.wait_for(caught_up, 30, "the lines of the relisted pods delivered", agent=agent)

    # The server goes away: reading goes on, cached pods keep their labels.
    errors_before = metric("logagent_kubernetes_api_errors_total")
    server.stop()
    e.wait_for(lambda: metric("logagent_kubernetes_api_errors_total") > errors_before, 60,
               "the agent noticing the server gone", agent=agent)
    files.write(*db, 1, LINES, db_meta)
    files.write(*api, 0, LINES, {"k8s.label.app": "api", "k8s.label.team": "checkout"})
    e.wait_for(caught_up, 30, "the lines written after the server went away delivered",
               agent=agent)

    # The server comes back (same address), its watch from list_2's resourceVersion expired:
    # HTTP 410, a new LIST (list_3, with a pod created meanwhile), a WATCH from it.
    back = FakeApiServer([exchange["list_3"]], {rv("list_3"): exchange["watch_3"]},
                         {rv("list_3")}, cert, key, port=server.port)
    e.wait_for(lambda: relisted(back, rv("list_3"), 3), 120,
               "the agent back in step with the server (410, LIST, WATCH)", agent=agent)
    e.check(metric("logagent_kubernetes_api_watch_expired_total") == 2,
            "logagent_kubernetes_api_watch_expired_total is not 2")
    files.write("jobs", "cron-28771234-zz9x1", "abcdef01-2345-6789-abcd-ef0123456789", 0, LINES,
                {"k8s.label.app": "cron", "k8s.label.team": "data",
                 "k8s.annotation.owner": "ops"})
    e.wait_for(caught_up, 30, "the lines of the pod listed after the server came back",
               agent=agent)
    back.stop()
    rc = agent.stop()
    e.check(rc == 0, f"agent exited with {rc}")
    delivered.extend(e.parse_json_line(l, "k8s.ndjson") for l in follower.read_new())

    seen: dict[str, int] = {}
    wrong: list[str] = []
    for obj in delivered:
        line_id = obj["message"].split(" ", 1)[0]
        seen[line_id] = seen.get(line_id, 0) + 1
        want = files.expected.get(line_id)
        got = {k: v for k, v in obj.items()
               if k.startswith("k8s.label.") or k.startswith("k8s.annotation.")}
        if want is not None and got != want and len(wrong) < 5:
            wrong.append(f"{line_id}: got {json.dumps(got)}, want {json.dumps(want)}")
    missing = [i for i in files.expected if i not in seen]
    duplicates = [i for i, n in seen.items() if n > 1]
    unexpected = [i for i in seen if i not in files.expected]
    with server.lock, back.lock:
        requests = server.requests + back.requests
        streamed = server.streamed + back.streamed
    e.log(f"written={len(files.expected)} delivered={len(delivered)} missing={len(missing)} "
          f"duplicates={len(duplicates)} wrong_metadata={len(wrong)} requests={len(requests)} "
          f"lists={server.lists + back.lists} streamed={','.join(streamed)}")
    e.check(not missing, f"{len(missing)} lines not delivered, e.g. {missing[:3]}")
    e.check(not duplicates, f"{len(duplicates)} lines delivered twice, e.g. {duplicates[:3]}")
    e.check(not unexpected, f"unexpected lines delivered, e.g. {unexpected[:3]}")
    e.check(not wrong, "wrong labels/annotations:\n  " + "\n  ".join(wrong))
    e.check(all(r["authorized"] for r in requests), "a request without the bearer token")
    e.check(all(r["query"].get("fieldSelector") == f"spec.nodeName={NODE}" for r in requests),
            "a request without the node's field selector")
    e.check(TOKEN.encode() not in agent.stderr_bytes(), "the token appears in the agent's log")


if __name__ == "__main__":
    e.main("kubernetes_api", body)
