#!/usr/bin/env python3
"""Kubernetes metadata from the kubelet's log layout, on a reproduction of it in a temporary
directory: <dir>/var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log, and the
<dir>/var/log/containers/<pod>_<namespace>_<container>-<id>.log symlinks into it. The agent
follows the containers links (as the DaemonSet does) with `kubernetes: {namespaces: {exclude:
[kube-system]}}` into a json file sink, live, through:
  - a container restart: the kubelet starts 1.log beside 0.log and replaces the link (new id);
  - kubelet rotation: 0.log renamed to 0.log.<timestamp>, a new 0.log under the same link;
  - a pod deleted (link and pod directory) while its last lines are unread (agent stopped);
  - a namespace excluded (kube-system): none of its lines may be delivered.
Every line carries "ns/pod/container/restart/seq": each must be delivered exactly once, with
k8s.namespace, k8s.pod, k8s.pod_uid, k8s.container, k8s.restart_count and container_id of the
file it was written to. Counts are printed."""

import collections
import json
import os
import shutil

import e2e_lib as e

LINES = 200


class Pod:
    def __init__(self, ctx: e.Context, ns: str, pod: str, uid: str, container: str):
        self.ctx, self.ns, self.pod, self.uid, self.container = ctx, ns, pod, uid, container
        self.dir = ctx.mkdir("var", "log", "pods", f"{ns}_{pod}_{uid}", container)
        self.restart = 0
        self.seq = 0
        self.cid = ""
        self.link = ""
        self.written: dict[str, dict] = {}  # line id -> the metadata it must carry
        self.start_container(0)

    def file(self) -> str:
        return os.path.join(self.dir, f"{self.restart}.log")

    def start_container(self, restart: int) -> None:
        """A new container instance: <restart>.log and a link named with a new id."""
        if self.link:
            os.unlink(self.link)
        self.restart = restart
        self.cid = f"{abs(hash((self.ns, self.pod, self.container))) % 10**12:012x}{restart:04x}"
        open(self.file(), "ab").close()
        self.link = self.ctx.path(
            "var", "log", "containers", f"{self.pod}_{self.ns}_{self.container}-{self.cid}.log")
        os.symlink(self.file(), self.link)

    def write(self, n: int) -> None:
        with open(self.file(), "ab") as f:
            for _ in range(n):
                self.seq += 1
                line_id = f"{self.ns}/{self.pod}/{self.container}/{self.restart}/{self.seq}"
                f.write(f"{line_id} {'x' * (self.seq % 50)}\n".encode())
                self.written[line_id] = {
                    "k8s.namespace": self.ns, "k8s.pod": self.pod, "k8s.pod_uid": self.uid,
                    "k8s.container": self.container, "k8s.restart_count": self.restart,
                    "container_id": self.cid, "file": self.link}

    def rotate(self, stamp: str) -> None:
        """The kubelet's rotation: <restart>.log -> <restart>.log.<stamp>, a new one."""
        os.rename(self.file(), f"{self.file()}.{stamp}")
        open(self.file(), "ab").close()


def body(ctx: e.Context) -> None:
    ctx.mkdir("var", "log", "containers")
    pods = [
        Pod(ctx, "shop", "web-7d9f8-x2x4z", "0b5c6e1a-1111-2222-3333-444455556666", "app"),
        Pod(ctx, "shop", "web-7d9f8-x2x4z", "0b5c6e1a-1111-2222-3333-444455556666", "istio-proxy"),
        Pod(ctx, "team-a.prod", "api.v2-0", "9f0e4c3b-aaaa-bbbb-cccc-ddddeeeeffff", "api"),
        Pod(ctx, "jobs", "batch-1-abcde", "77777777-8888-9999-0000-111111111111", "worker"),
    ]
    system = Pod(ctx, "kube-system", "coredns-5d78c9869d-abcde",
                 "12345678-9abc-def0-1234-56789abcdef0", "coredns")
    for p in pods + [system]:
        p.write(LINES)

    port = e.free_port()
    out = ctx.path("out", "k8s.ndjson")
    cfg = e.make_config(
        ctx, paths=[ctx.path("var", "log", "containers", "*.log")], workers=2, metrics_port=port,
        sinks=[e.file_sink(out, "json")],
        input_extra={"scan_interval": "200ms",
                     "kubernetes": {"namespaces": {"exclude": ["kube-system"]}}})
    agent = ctx.agent(cfg, label="k8s").start()
    follower = e.OutputFollower(out)
    delivered: list[dict] = []

    def caught_up() -> bool:
        delivered.extend(e.parse_json_line(l, "k8s.ndjson") for l in follower.read_new())
        want = sum(len(p.written) for p in pods)
        return len(delivered) >= want

    e.wait_for(caught_up, 30, "the first lines of every pod delivered", agent=agent)

    web, sidecar, api, job = pods
    # A container restart: the last lines of 0.log, then 1.log under a new link.
    web.write(50)
    web.start_container(1)
    web.write(LINES)
    # Kubelet rotation of the sidecar: lines before and after the rename.
    sidecar.write(50)
    sidecar.rotate("20261206-101010")
    sidecar.write(LINES)
    system.write(LINES)
    e.wait_for(caught_up, 30, "the restarted and rotated containers delivered", agent=agent)

    # A pod deleted while its last lines are unread: the agent is stopped meanwhile, so the
    # lines are written, the link and the pod directory removed, before it reads them.
    agent.pause()
    job.write(LINES)
    os.unlink(job.link)
    shutil.rmtree(os.path.dirname(job.dir))
    agent.resume()
    api.write(LINES)
    e.wait_for(caught_up, 30, "the deleted pod's last lines delivered", agent=agent)
    agent.stop()
    delivered.extend(e.parse_json_line(l, "k8s.ndjson") for l in follower.read_new())

    expected: dict[str, dict] = {}
    for p in pods:
        expected.update(p.written)
    seen = collections.Counter()
    wrong: list[str] = []
    by_ns = collections.Counter()
    for obj in delivered:
        line_id = obj["message"].split(" ", 1)[0]
        seen[line_id] += 1
        by_ns[obj.get("k8s.namespace", "-")] += 1
        meta = expected.get(line_id)
        if meta is None:
            continue
        got = {k: obj.get(k) for k in meta}
        if got != meta and len(wrong) < 5:
            wrong.append(f"{line_id}: got {json.dumps(got)}, want {json.dumps(meta)}")
    missing = [i for i in expected if seen[i] == 0]
    duplicates = [i for i, n in seen.items() if n > 1]
    unexpected = [i for i in seen if i not in expected]
    excluded = sum(1 for i in seen if i.startswith("kube-system/"))
    e.log(f"written={len(expected)} delivered={len(delivered)} missing={len(missing)} "
          f"duplicates={len(duplicates)} wrong_metadata={len(wrong)} "
          f"excluded_written={len(system.written)} excluded_delivered={excluded}")
    e.log("per namespace: " + ", ".join(f"{k}={v}" for k, v in sorted(by_ns.items())))
    e.check(not missing, f"{len(missing)} lines not delivered, e.g. {missing[:3]}")
    e.check(not duplicates, f"{len(duplicates)} lines delivered twice, e.g. {duplicates[:3]}")
    e.check(excluded == 0, f"{excluded} lines of the excluded namespace kube-system delivered")
    e.check(not unexpected, f"unexpected lines delivered, e.g. {unexpected[:3]}")
    e.check(not wrong, "wrong metadata:\n  " + "\n  ".join(wrong))
    restarts = collections.Counter(
        o["k8s.restart_count"] for o in delivered if o["k8s.pod"] == web.pod and
        o["k8s.container"] == "app")
    e.check(restarts[0] == LINES + 50 and restarts[1] == LINES,
            f"restart counts of the restarted container: {dict(restarts)}")


if __name__ == "__main__":
    e.main("kubernetes_metadata", body)
