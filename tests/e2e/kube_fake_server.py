"""A scriptable fake Kubernetes API server for the failure tests of the tail input's
`kubernetes: {api: ...}` (test_kubernetes_api_faults.py) and its benchmark
(perf/bench_kubernetes.py). HTTPS with a test CA made here by openssl (the service account's
ca.crt), a bearer token that the test may rotate, and what it answers set by the test at any time:

  server.list_action  = ("pages", [PodList, ...])  # paged by metadata.continue = "page-<i>"
                      | ("status", code)            # an HTTP error with a Status body
                      | ("stall",)                  # reads the request, never answers
  server.watch_action = ("events", [event, ...], end)  # end: "hold" | "close" | "truncate"
                      | ("status", code) | ("stall",)
                      | ("garbage",)                # 200, then a line that is not JSON

A stalled or held request is released (its connection closed) by release() or stop()."""

import json
import os
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_service_account(directory: str, token: str) -> tuple[str, str]:
    """token, namespace and ca.crt (a test CA) in `directory`; returns the server's certificate
    and key (for 127.0.0.1 only: a name such as localhost does not match it)."""
    os.makedirs(directory, exist_ok=True)
    pki = os.path.join(directory, "..", "pki")
    os.makedirs(pki, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=pki)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=test-kubernetes-ca",
        "-days", "2", "-keyout", "ca.key", "-out", "ca.crt")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
        "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(pki, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt")
    with open(os.path.join(pki, "ca.crt"), "rb") as src, \
            open(os.path.join(directory, "ca.crt"), "wb") as dst:
        dst.write(src.read())
    write_token(directory, token)
    with open(os.path.join(directory, "namespace"), "w") as f:
        f.write("logging\n")
    return os.path.join(pki, "server.crt"), os.path.join(pki, "server.key")


def write_token(directory: str, token: str) -> None:
    """Replaces the token the way the kubelet does (a new file renamed over the old one)."""
    tmp = os.path.join(directory, ".token.tmp")
    with open(tmp, "w") as f:
        f.write(token + "\n")
    os.replace(tmp, os.path.join(directory, "token"))


def pod(ns: str, name: str, uid: str, labels: dict, annotations: dict | None = None,
        padding: int = 0) -> dict:
    """A Pod in kube-apiserver's v1 shape; `padding` bytes of an unselected annotation make it
    as large as real pods with managedFields are."""
    ann = dict(annotations or {})
    if padding:
        ann["kubectl.kubernetes.io/last-applied-configuration"] = "x" * padding
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "uid": uid, "resourceVersion": "1",
                         "labels": labels, "annotations": ann},
            "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "x"}]},
            "status": {"phase": "Running"}}


def pod_list(pods: list[dict], rv: str, page: int = 500) -> list[dict]:
    """`pods` as PodList pages of `page` items, each but the last with its continue token."""
    pages = []
    for i in range(0, max(len(pods), 1), page):
        meta = {"resourceVersion": rv}
        if i + page < len(pods):
            meta["continue"] = f"page-{len(pages) + 1}"
        pages.append({"kind": "PodList", "apiVersion": "v1", "metadata": meta,
                      "items": pods[i:i + page]})
    return pages


class TlsJsonServer:
    """An HTTPS server on 127.0.0.1 whose GETs go to handle(), in a thread of their own, with
    the helpers to answer JSON and chunked streams. Subclasses say what to answer."""

    def __init__(self, cert: str, key: str, port: int = 0):
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """The server goes away: open requests see `stopping`, new connections are refused."""
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @staticmethod
    def send_json(h: BaseHTTPRequestHandler, status: int, obj: dict) -> None:
        body = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    @staticmethod
    def start_stream(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()

    @staticmethod
    def chunk(h: BaseHTTPRequestHandler, data: bytes) -> None:
        h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        h.wfile.flush()

    @staticmethod
    def end_stream(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"0\r\n\r\n")
        h.close_connection = True


class FakeApiServer(TlsJsonServer):
    def __init__(self, token: str, cert: str, key: str, port: int = 0):
        self.token = token
        self.list_action: tuple = ("pages", [pod_list([], "1")[0]])
        self.watch_action: tuple = ("events", [], "hold")
        self.requests: list[dict] = []  # {"path", "query", "authorized", "at": monotonic}
        self.stalled = 0  # requests being held unanswered now
        self.generation = 0  # release() ends the requests held before it
        super().__init__(cert, key, port)

    # What the test reads.
    def count(self, watch: bool | None = None, authorized: bool | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.requests
                       if (watch is None or (r["query"].get("watch") == "1") == watch)
                       and (authorized is None or r["authorized"] == authorized))

    def stalled_now(self) -> int:
        with self.lock:
            return self.stalled

    def release(self) -> None:
        """Ends every stalled or held request (their connections are closed), and waits until
        they have ended."""
        with self.lock:
            self.generation += 1
        deadline = time.monotonic() + 30
        while self.stalled_now() and time.monotonic() < deadline:
            time.sleep(0.01)

    # Serving.
    def handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        with self.lock:
            authorized = h.headers.get("Authorization") == f"Bearer {self.token}"
            self.requests.append({"path": url.path, "query": query, "authorized": authorized,
                                  "at": time.monotonic()})
            action = self.watch_action if query.get("watch") == "1" else self.list_action
        if not authorized:
            return self.send_json(h, 401, {"kind": "Status", "code": 401,
                                           "reason": "Unauthorized"})
        if action[0] == "status":
            return self.send_json(h, action[1], {"kind": "Status", "code": action[1],
                                                 "message": f"fake status {action[1]}"})
        if action[0] == "stall":
            return self.hold(h)
        if query.get("watch") != "1":
            pages = action[1]
            token = query.get("continue", "")
            index = int(token.split("-")[1]) if token.startswith("page-") else 0
            return self.send_json(h, 200, pages[min(index, len(pages) - 1)])
        self.start_stream(h)
        if action[0] == "garbage":
            self.chunk(h, b'{"type": "ADDED", "object": {"metadata": \n')
            return self.end_stream(h)
        for ev in action[1]:
            self.chunk(h, json.dumps(ev).encode() + b"\n")
        if action[2] == "hold":
            return self.hold(h)
        if action[2] == "truncate":  # a chunk cut short: the connection closes mid-line
            h.wfile.write(b"400\r\n{\"type\": \"ADDED\", \"obj")
            h.wfile.flush()
            h.close_connection = True
            return
        self.end_stream(h)

    def hold(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.stalled += 1
            generation = self.generation
        try:
            while not self.stopping.wait(0.05):
                with self.lock:
                    if self.generation != generation:
                        break
        finally:
            with self.lock:
                self.stalled -= 1
        h.close_connection = True
