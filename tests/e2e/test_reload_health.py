#!/usr/bin/env python3
"""Reload and health, through the real binary.

Two pipelines (a, b) follow two streams written continuously. Then:
  1. GET /healthz is 200, GET /ready turns 200, /metrics has process and build metrics, an
     unknown path is 404 and a wrong method 405;
  2. SIGHUP with pipeline b's sink moved to a new file and a new pipeline c: b restarts from its
     checkpoint, a keeps running untouched (no restart logged), c starts;
  3. POST /-/reload with a broken file: refused with FILE:LINE:COL in the reply (400), the agent
     keeps running and delivering;
  4. a reload adding a pipeline with a kafka sink to an unreachable broker makes /ready 503
     naming the sink, and its logagent_pipeline_ready 0 (the others 1); a reload removing it
     makes /ready 200 again (and stops that pipeline) and removes its logagent_pipeline_ready;
  5. SIGTERM; then every line of every stream was delivered exactly once, in order per file:
     nothing lost or repeated across the restarts of b (its output is split over two files)."""

import os
import threading
import time
import urllib.error
import urllib.request

import e2e_lib as e


http = e.http


def read_messages(path: str) -> list[bytes]:
    if not os.path.exists(path):
        return []
    return [ev["message"].encode() for ev in e.read_json_output(path, allow_torn_tail=True,
                                                                quiet=True)]


def body(ctx: e.Context) -> None:
    port = e.free_port()
    logs = {name: ctx.mkdir("logs", name) for name in ("a", "b", "c", "k")}
    out = ctx.mkdir("out")

    def pipeline(name: str, sink_file: str, extra_sinks=()) -> dict:
        return {"name": name, "workers": 1,
                "input": {"type": "tail", "paths": [os.path.join(logs[name], "*.log")],
                          "read_from": "head"},
                "sinks": [e.file_sink(os.path.join(out, sink_file), "json"), *extra_sinks]}

    def config(pipelines: list[dict]) -> dict:
        return {"data_dir": ctx.path("data"), "metrics": {"listen": f"127.0.0.1:{port}"},
                "checkpoint_interval": "200ms", "shutdown_timeout": "10s",
                "pipelines": pipelines}

    cfg_path = ctx.path("config.yaml")
    e.write_config(cfg_path, config([pipeline("a", "a.ndjson"), pipeline("b", "b1.ndjson")]))
    writers = {n: e.StreamWriter(logs[n], n, seed=i) for i, n in enumerate(("a", "b", "c"))}
    stop = threading.Event()

    def write_loop():
        while not stop.is_set():
            for w in writers.values():
                w.write(50)
            time.sleep(0.02)

    agent = ctx.agent(cfg_path, label="agent").start()
    t = threading.Thread(target=write_loop, daemon=True)
    try:
        e.wait_for(lambda: e.try_scrape(port) is not None, 10, "the metrics listener", agent=agent)
        t.start()
        # 1. health
        e.check(http(port, "/healthz") == (200, "ok\n"), f"/healthz: {http(port, '/healthz')}")
        e.wait_for(lambda: http(port, "/ready")[0] == 200, 10, "/ready 200", agent=agent)
        status, text = http(port, "/ready")
        e.check("pipeline a: ready" in text and "pipeline b: ready" in text, f"/ready: {text!r}")
        m = e.scrape(port)
        for name in ("process_resident_memory_bytes", "process_cpu_seconds_total",
                     "process_open_fds", "process_threads", "logagent_build_info",
                     "logagent_buffer_pool_in_use", "logagent_checkpoint_age_seconds"):
            e.check(m.has(name), f"/metrics lacks {name}")
        e.check(http(port, "/nope")[0] == 404, "unknown path is not 404")
        e.check(http(port, "/-/reload", "GET")[0] == 405, "GET /-/reload is not 405")
        e.log(f"[health] healthz 200, ready 200, rss={m.get('process_resident_memory_bytes'):.0f}")

        # 2. SIGHUP: b changes, c appears, a unchanged.
        e.wait_for(lambda: len(read_messages(os.path.join(out, "b1.ndjson"))) > 500, 20,
                   "b's first output", agent=agent)
        e.write_config(cfg_path, config([pipeline("a", "a.ndjson"), pipeline("b", "b2.ndjson"),
                                         pipeline("c", "c.ndjson")]))
        agent.send_signal(__import__("signal").SIGHUP)
        e.wait_for(lambda: b"reload: done" in agent.stderr_bytes(), 30, "the reload",
                   agent=agent)
        err = agent.stderr_bytes()
        e.check(b"restarted pipeline b" in err, "pipeline b was not restarted")
        e.check(b"started pipeline c" in err, "pipeline c was not started")
        e.check(b"pipeline a" not in err.split(b"reload: reading")[-1],
                "pipeline a was touched by the reload")
        e.wait_for(lambda: len(read_messages(os.path.join(out, "b2.ndjson"))) > 200, 20,
                   "b's output in its new file", agent=agent)
        e.log("[sighup] b restarted into b2.ndjson, c started, a untouched")

        # 3. a broken configuration is refused; the agent goes on.
        with open(cfg_path, "a") as f:
            f.write("bogus_key: 1\n")
        status, text = http(port, "/-/reload", "POST")
        e.check(status == 400, f"a broken reload answered {status}: {text!r}")
        e.check("config.yaml:" in text and "bogus_key" in text,
                f"the refusal does not name the position: {text!r}")
        before = len(read_messages(os.path.join(out, "a.ndjson")))
        e.wait_for(lambda: len(read_messages(os.path.join(out, "a.ndjson"))) > before + 200, 20,
                   "delivery after a refused reload", agent=agent)
        e.check(agent.running(), "the agent exited after a refused reload")
        e.log(f"[refused] 400: {text.splitlines()[1] if len(text.splitlines()) > 1 else text!r}")

        # 4. readiness follows the sinks.
        dead = {"type": "kafka", "brokers": [f"127.0.0.1:{e.free_port()}"], "topic": "t"}
        # (pipeline k reads an empty directory: nothing of it waits for the absent broker)
        e.write_config(cfg_path, config([pipeline("a", "a.ndjson"), pipeline("b", "b2.ndjson"),
                                         pipeline("c", "c.ndjson"),
                                         pipeline("k", "k.ndjson", [dead])]))
        status, text = http(port, "/-/reload", "POST")
        e.check(status == 200, f"reload with a kafka sink: {status} {text!r}")
        e.wait_for(lambda: http(port, "/ready")[0] == 503, 10, "/ready 503", agent=agent)
        text = http(port, "/ready")[1]
        e.check("pipeline k: sink kafka: no Kafka broker connected" in text and
                "pipeline a: ready" in text, f"/ready: {text!r}")
        m = e.scrape(port)
        ready = {p: m.get("logagent_pipeline_ready", pipeline=p) for p in "abck"}
        e.check(ready == {"a": 1, "b": 1, "c": 1, "k": 0},
                f"logagent_pipeline_ready {ready} while /ready says: {text!r}")
        e.write_config(cfg_path, config([pipeline("a", "a.ndjson"), pipeline("b", "b2.ndjson"),
                                         pipeline("c", "c.ndjson")]))
        status, text = http(port, "/-/reload", "POST")
        e.check(status == 200 and "stopping pipeline k" in text,
                f"reload removing pipeline k: {status} {text!r}")
        e.wait_for(lambda: http(port, "/ready")[0] == 200, 10, "/ready 200 again", agent=agent)
        m = e.scrape(port)
        ready = {p: m.get("logagent_pipeline_ready", pipeline=p) for p in "abck"}
        e.check(ready == {"a": 1, "b": 1, "c": 1, "k": None},
                f"logagent_pipeline_ready {ready} after the reload removed pipeline k")
        e.log("[ready] 503 (pipeline_ready{k} 0) with an unreachable broker, 200 again "
              "(k's series gone) after it was removed")

        stop.set()
        t.join()
        total = {n: w.seq for n, w in writers.items()}
        e.wait_for(lambda: len(read_messages(os.path.join(out, "a.ndjson"))) >= total["a"] and
                   len(read_messages(os.path.join(out, "b1.ndjson"))) +
                   len(read_messages(os.path.join(out, "b2.ndjson"))) >= total["b"], 30,
                   "everything delivered", agent=agent)
        e.check(agent.stop() == 0, "the agent did not exit 0 on SIGTERM")
    finally:
        stop.set()
        agent.kill_if_running()

    # 5. exactly once, in order (c was read from its start: it has all of its lines too).
    runs = {
        "a": [read_messages(os.path.join(out, "a.ndjson"))],
        "b": [read_messages(os.path.join(out, "b1.ndjson")),
              read_messages(os.path.join(out, "b2.ndjson"))],
        "c": [read_messages(os.path.join(out, "c.ndjson"))],
    }
    for name, parts in runs.items():
        rep = e.compare_by_id({name: writers[name].seq}, parts, allow_duplicates=False)
        rep.print(name)
        rep.assert_ok(name, allow_duplicates=False)


if __name__ == "__main__":
    e.main("reload_health", body)
