#!/usr/bin/env python3
"""Hardening, through the real binary:
  1. the metrics listener stays on loopback: `validate` refuses 0.0.0.0 with its position unless
     metrics.allow_remote is set;
  2. a secret (a SASL password from ${ENV}) never appears in `validate` output, in the agent's
     log (even at debug level, while librdkafka retries an absent broker), or in /metrics;
  3. the file sink does not follow a symbolic link planted at its path (the agent refuses to
     start, says why, and the link's target is untouched);
  4. running as root is allowed but logged with the capability-based alternative."""

import os
import subprocess
import time

import e2e_lib as e

SECRET = "s3cr3t-Hunter2-value"


def validate(ctx: e.Context, path: str, env: dict | None = None) -> tuple[int, str]:
    p = subprocess.run([ctx.logagent, "validate", "-c", path], capture_output=True,
                       env=dict(os.environ, **(env or {})), timeout=30)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def body(ctx: e.Context) -> None:
    logs = ctx.mkdir("logs")
    e.write_lines(os.path.join(logs, "a.log"), [b"line %d" % i for i in range(100)])

    # 1. loopback by default.
    base = {"data_dir": ctx.path("data"),
            "pipelines": [{"name": "p", "input": {"type": "tail",
                                                  "paths": [os.path.join(logs, "*.log")]},
                           "sinks": [{"type": "null"}]}]}
    remote = e.write_config(ctx.path("remote.yaml"),
                            dict(base, metrics={"listen": "0.0.0.0:9464"}))
    code, out = validate(ctx, remote)
    e.check(code != 0 and "remote.yaml:" in out and "not a loopback address" in out and
            "allow_remote" in out, f"validate of a 0.0.0.0 listener: {code} {out!r}")
    allowed = e.write_config(ctx.path("allowed.yaml"),
                             dict(base, metrics={"listen": "0.0.0.0:9464",
                                                 "allow_remote": True}))
    code, out = validate(ctx, allowed)
    e.check(code == 0, f"validate with allow_remote: {code} {out!r}")
    e.log("[listen] 0.0.0.0 refused without allow_remote, accepted with it")

    # 2. secrets.
    env = {"LOGAGENT_TEST_SECRET": SECRET}
    port = e.free_port()
    kafka = {"type": "kafka", "brokers": [f"127.0.0.1:{e.free_port()}"], "topic": "t",
             "properties": {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN",
                            "sasl.username": "agent",
                            "sasl.password": "${LOGAGENT_TEST_SECRET}"}}
    secret_cfg = dict(base, metrics={"listen": f"127.0.0.1:{port}"}, log={"level": "debug"},
                      shutdown_timeout="1s")
    secret_cfg["pipelines"] = [dict(base["pipelines"][0], sinks=[kafka])]
    good = e.write_config(ctx.path("secret.yaml"), secret_cfg)
    code, out = validate(ctx, good, env)
    e.check(code == 0 and SECRET not in out, f"validate: {code} {out!r}")
    broken = dict(secret_cfg)
    broken["pipelines"] = [dict(secret_cfg["pipelines"][0],
                                sinks=[dict(kafka, properties=dict(
                                    kafka["properties"], **{"security.protocol": "SASL_BOGUS"}))])]
    bad = e.write_config(ctx.path("secret-bad.yaml"), broken)
    code, out = validate(ctx, bad, env)
    e.check(code != 0 and "security.protocol" in out and SECRET not in out,
            f"validate of a bad security.protocol: {code} {out!r}")
    e.log(f"[secret] validate error: {out.strip().splitlines()[0][:160]}")
    agent = ctx.agent(good, label="secret", env=env).start()
    try:
        e.wait_for(lambda: e.try_scrape(port) is not None, 10, "the metrics listener",
                   agent=agent)
        time.sleep(3)  # librdkafka tries the absent broker, logs at debug level
        metrics = e.scrape(port).text
        e.check(agent.stop() == 0, "the agent did not exit 0")
    finally:
        agent.kill_if_running()
    stderr = agent.stderr_bytes().decode("utf-8", "replace")
    e.check(SECRET not in stderr, "the secret appears in the agent's log")
    e.check(SECRET not in metrics, "the secret appears in /metrics")
    e.check("sasl" in stderr.lower() or "broker" in stderr.lower(),
            "the debug log says nothing about the broker: the check above proves little")
    e.log(f"[secret] not in validate output, {len(stderr)} bytes of debug log, "
          f"{len(metrics)} bytes of metrics")

    # 3. no symlink following at the file sink's path.
    victim = ctx.path("victim.txt")
    with open(victim, "w") as f:
        f.write("precious\n")
    link = ctx.path("out", "app.log")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(victim, link)
    cfg = dict(base, metrics={"listen": ""})
    cfg["pipelines"] = [dict(base["pipelines"][0], sinks=[e.file_sink(link, "raw")])]
    path = e.write_config(ctx.path("symlink.yaml"), cfg)
    a = ctx.agent(path, once=True, label="symlink").start()
    code = a.wait(30)
    err = a.stderr_bytes().decode("utf-8", "replace")
    e.check(code not in (0, None), f"the agent ran with a symlink at its output path ({code})")
    e.check("symbolic link" in err, f"the error does not say why: {err[-300:]!r}")
    e.check(open(victim).read() == "precious\n", "the symlink's target was written to")
    e.log("[symlink] refused to start; target untouched")

    # 4. root.
    if os.geteuid() == 0:
        e.check("CAP_DAC_READ_SEARCH" in stderr,
                "running as root is not logged with the capability alternative")
        e.log("[root] warning names CAP_DAC_READ_SEARCH")


if __name__ == "__main__":
    e.main("hardening", body)
