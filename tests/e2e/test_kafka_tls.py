#!/usr/bin/env python3
"""File -> Kafka over TLS and SASL, against a real broker started with
`tests/kafka/kafka.sh start --tls --sasl-scram --bad-tls` (certificates made by the script).

1. Delivery of 1,000,000 lines in 4 files over SASL_SSL (mechanism plain; mutual TLS with an
   encrypted client key and key_password; the password from ${ENV}), then 10,000 lines again with
   password_file, and over SSL alone: every line read back from the topic and compared with its
   file line by line, in order per file. (PLAIN, because SCRAM needs librdkafka >= 2.6.1, see 2.)
2. SCRAM-SHA-512 with the right password: delivered with librdkafka >= 2.6.1; with an older
   librdkafka (Debian 12: 2.0.2) Kafka 4.x refuses it, and the agent's one error says why.
3. The failures -- a wrong password, an expired certificate, one from an untrusted CA, one for
   another host name: each gives ONE error line naming its cause and /ready 503 with it, while
   librdkafka keeps trying (the broker counts at least 3 failed handshakes or logins first). The
   wrong password appears nowhere: not in the log, not in /ready, not in /metrics.
   With verify_hostname: false the wrong-host broker is accepted.
4. Bad configurations are errors at their FILE:LINE:COL (logagent validate).
"""

import os
import re
import socket
import subprocess
import time

import e2e_lib as e

LINES_PER_FILE = 5000
SASL_FILES, SASL_LINES_PER_FILE = 4, 250_000  # the SASL_SSL delivery case: 1M lines
USER, PASSWORD = "logagent", "logagent-secret"
WRONG_PASSWORD = "wrong-pw-7f3a9c"


def free_run(n: int) -> int:
    """A port p such that p .. p+n-1 are all free."""
    for _ in range(100):
        p = e.free_port()
        if p + n >= 65000:
            continue
        socks = []
        try:
            for i in range(n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p + i))
            return p
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise e.TestFailure(f"no {n} consecutive free ports")


class SecureBroker:
    def __init__(self, ctx: e.Context):
        self.script = os.path.join(ctx.source_dir, "tests", "kafka", "kafka.sh")
        self.state = ctx.path("kafka-state")
        self.env = dict(os.environ, LOGAGENT_KAFKA_STATE=self.state)
        self.certs = ctx.path("certs")
        self.port = free_run(7)
        self.started = False

    def run(self, *args: str, timeout: float = 180) -> str:
        r = subprocess.run([self.script, *args], env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        e.check(r.returncode == 0, f"kafka.sh {' '.join(args)} failed ({r.returncode}):\n"
                                   f"{r.stderr[-3000:]}")
        return r.stdout.strip()

    def start(self) -> "SecureBroker":
        t0 = time.monotonic()
        self.run("start", "--port", str(self.port), "--tls", "--sasl-scram", "--bad-tls",
                 "--certs", self.certs, "--scram-user", f"{USER}:{PASSWORD}")
        self.started = True
        e.log(f"broker up on 127.0.0.1:{self.port} (+2 ssl, +3 sasl_ssl, +4..6 bad certificates) "
              f"in {time.monotonic() - t0:.1f} s")
        return self

    def stop(self) -> None:
        if self.started:
            self.run("stop", timeout=60)
            self.started = False

    def bootstrap(self, listener: str = "plaintext") -> str:
        return self.run("bootstrap", listener)

    def failed_auths(self, port: int) -> int:
        """Failed TLS handshakes or SASL logins the broker logged on its listener `port`."""
        with open(os.path.join(self.state, "dir")) as f:
            log = os.path.join(f.read().strip(), "logs", "server.log")
        try:
            with open(log, errors="replace") as f:
                text = f.read()
        except OSError:
            return 0
        return len(re.findall(rf"Failed authentication with .*channelId=127\.0\.0\.1:{port}-",
                              text))

    def consume(self, topic: str, count: int) -> list[bytes]:
        r = subprocess.run(["kcat", "-b", self.bootstrap(), "-C", "-t", topic, "-o", "beginning",
                            "-c", str(count), "-q", "-f", "%s\n"], capture_output=True,
                           timeout=600)
        e.check(r.returncode == 0, f"kcat failed ({r.returncode}): {r.stderr[-2000:]!r}")
        return r.stdout.splitlines()


def ready_status(port: int) -> int:
    """/ready's status; 0 while the listener is not up yet."""
    try:
        return e.http(port, "/ready")[0]
    except OSError:
        return 0


def kafka_sink(bootstrap: str, topic: str, **extra) -> dict:
    d = {"type": "kafka", "brokers": [bootstrap], "topic": topic, "format": "raw"}
    d.update(extra)
    return d


def deliver(ctx: e.Context, broker: SecureBroker, label: str, snk: dict, env: dict,
            files: int = 2, per_file: int = LINES_PER_FILE) -> None:
    """`files` files of `per_file` lines through `snk` with run --once; every line in Kafka, in
    order per file."""
    logs = ctx.mkdir(f"logs-{label}")
    written = {}
    for f in range(files):
        lines = [b"%s f%d %07d payload-%s" % (label.encode(), f, i, b"x" * (i % 50))
                 for i in range(per_file)]
        e.write_lines(os.path.join(logs, f"app{f}.log"), lines)
        written[f] = lines
    total = files * per_file
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=[snk],
                        data_dir=ctx.path(f"data-{label}"), file_name=f"{label}.yaml")
    t0 = time.monotonic()
    a = ctx.agent(cfg, once=True, label=label, env=env).start()
    rc = a.wait(600)
    e.check(rc == 0, f"{label}: run --once exited with {rc}")
    sent = time.monotonic() - t0
    got = broker.consume(snk["topic"], total)
    by_file: dict[bytes, list[bytes]] = {}
    for line in got:
        by_file.setdefault(line.split(b" ", 2)[1], []).append(line)
    for f in range(files):
        mine = by_file.get(b"f%d" % f, [])
        e.check(mine == written[f], f"{label}: file {f}: {len(mine)} lines read back, "
                                    f"{len(written[f])} written (or out of order)")
    e.check(len(got) == total, f"{label}: {len(got)} messages")
    checked = time.monotonic() - t0 - sent
    e.log(f"[{label}] {total:,} lines in {files} files, {len(got):,} out, same order per file "
          f"(run --once {sent:.1f} s, read back and compared in {checked:.1f} s)")


def run_until_ready_or_error(ctx: e.Context, label: str, snk: dict, env: dict | None = None):
    """Starts an agent with `snk` and a metrics port; returns it and the port."""
    logs = ctx.mkdir(f"logs-{label}")
    e.write_lines(os.path.join(logs, "a.log"), [b"line %d" % i for i in range(100)])
    port = e.free_port()
    cfg = e.make_config(ctx, paths=[os.path.join(logs, "*.log")], sinks=[snk], metrics_port=port,
                        data_dir=ctx.path(f"data-{label}"), file_name=f"{label}.yaml",
                        top_extra={"shutdown_timeout": "1s"})
    return ctx.agent(cfg, label=label, env=env).start(), port


def failure_case(ctx: e.Context, broker: SecureBroker, label: str, port: int, snk: dict,
                 cause: str, env: dict | None = None) -> str:
    """The agent reports `cause` once, /ready is 503 with it, and stays so while the broker sees
    at least 3 more failed attempts. Returns everything the agent wrote."""
    before = broker.failed_auths(port)
    a, mport = run_until_ready_or_error(ctx, label, snk, env)
    e.wait_for(lambda: cause.encode() in a.stderr_bytes(), 30, f"{label}: '{cause}' logged",
               agent=a)
    e.wait_for(lambda: broker.failed_auths(port) >= before + 3, 60,
               f"{label}: the broker saw 3 failed attempts", agent=a)
    status, ready = e.http(mport, "/ready")
    e.check(status == 503, f"{label}: /ready {status}: {ready!r}")
    e.check(cause in ready and "no Kafka broker connected" in ready, f"{label}: /ready {ready!r}")
    metrics = e.http(mport, "/metrics")[1]
    a.stop()
    err = a.stderr_bytes().decode("utf-8", "replace")
    lines = [line for line in err.splitlines() if cause in line]
    e.check(len(lines) == 1, f"{label}: {len(lines)} lines name '{cause}':\n" + "\n".join(lines))
    noisy = [line for line in err.splitlines()
             if (" error " in line or " warning " in line) and cause not in line
             and "brokers are down" not in line and "shutdown deadline" not in line
             and "not acknowledged" not in line and "running as root" not in line]
    e.check(not noisy, f"{label}: other errors or warnings:\n" + "\n".join(noisy))
    e.log(f"[{label}] one line: {lines[0][:220]}")
    return err + ready + metrics


def config_errors(ctx: e.Context, broker: SecureBroker) -> None:
    ca = os.path.join(broker.certs, "ca.pem")
    pw = ctx.path("pw-file")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    cases = [
        ("missing CA file", {"tls": {"ca_file": "/nonexistent/ca.pem"}},
         r":\d+:\d+: .*'/nonexistent/ca.pem' cannot read: No such file or directory"),
        ("CA file that is not PEM", {"tls": {"ca_file": pw}}, r":\d+:\d+: .*is not a PEM"),
        ("password and password_file", {"tls": {"ca_file": ca}, "sasl": {
            "mechanism": "plain", "username": USER, "password": WRONG_PASSWORD,
            "password_file": pw}}, r":\d+:\d+: .*set password or password_file, not both"),
        ("sasl without username", {"sasl": {"mechanism": "plain", "password": WRONG_PASSWORD}},
         r":\d+:\d+: .*missing required option 'username'"),
    ]
    for what, extra, pattern in cases:
        cfg = e.make_config(ctx, paths=[ctx.path("none", "*.log")],
                            sinks=[kafka_sink(broker.bootstrap("sasl"), "t", **extra)],
                            file_name="invalid.yaml")
        p = subprocess.run([ctx.logagent, "validate", "-c", cfg], capture_output=True, text=True,
                           timeout=30)
        out = p.stdout + p.stderr
        e.check(p.returncode != 0, f"validate accepted a config with a {what}")
        e.check(re.search(re.escape(cfg) + pattern, out) is not None,
                f"{what}: no FILE:LINE:COL error matching {pattern!r} in {out!r}")
        e.check(WRONG_PASSWORD not in out, f"{what}: the password is in the error: {out!r}")
        e.log(f"[config] {what}: {out.strip().splitlines()[0][:160]}")


def body(ctx: e.Context) -> None:
    broker = SecureBroker(ctx).start()
    try:
        certs = broker.certs
        ca = os.path.join(certs, "ca.pem")
        mtls = {"ca_file": ca, "cert_file": os.path.join(certs, "client.pem"),
                "key_file": os.path.join(certs, "client-enc.key"),
                "key_password": "logagent-test"}
        sasl_port = broker.port + 3
        env = {"LOGAGENT_TEST_KAFKA_PASSWORD": PASSWORD}
        # 1. Delivery over SASL_SSL.
        deliver(ctx, broker, "sasl-env", kafka_sink(
            broker.bootstrap("sasl"), "tls-env", tls=mtls,
            sasl={"mechanism": "plain", "username": USER,
                  "password": "${LOGAGENT_TEST_KAFKA_PASSWORD}"}), env,
            files=SASL_FILES, per_file=SASL_LINES_PER_FILE)
        pw = ctx.path("password")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        deliver(ctx, broker, "sasl-file", kafka_sink(
            broker.bootstrap("sasl"), "tls-file", tls={"ca_file": ca},
            sasl={"mechanism": "plain", "username": USER, "password_file": pw}), {})
        deliver(ctx, broker, "ssl", kafka_sink(broker.bootstrap("tls"), "tls-ssl",
                                               tls={"ca_file": ca}), {})

        # 2. SCRAM-SHA-512 with the right password.
        scram = kafka_sink(broker.bootstrap("sasl"), "tls-scram", tls={"ca_file": ca},
                           sasl={"mechanism": "scram-sha-512", "username": USER,
                                 "password": PASSWORD})
        a, mport = run_until_ready_or_error(ctx, "scram", scram)
        e.wait_for(lambda: ready_status(mport) == 200
                   or b"SASL authentication failed" in a.stderr_bytes(), 60,
                   "scram: ready, or its error", agent=a)
        err = a.stderr_bytes()
        if b"SASL authentication failed" in err:
            e.check(b"PR #4895" in err, f"scram failed without the librdkafka note: {err[-2000:]!r}")
            e.log("[scram] refused: librdkafka < 2.6.1 cannot do SCRAM with Kafka 4.x "
                  "(the agent's error says so)")
        else:
            e.log("[scram] SCRAM-SHA-512 authenticated")
        a.stop()

        # 3. Failures: one clear error each, /ready 503.
        seen = failure_case(ctx, broker, "wrong-password", sasl_port, kafka_sink(
            broker.bootstrap("sasl"), "tls-bad", tls={"ca_file": ca},
            sasl={"mechanism": "plain", "username": USER,
                  "password": "${LOGAGENT_TEST_KAFKA_PASSWORD}"}),
            "SASL authentication failed", env={"LOGAGENT_TEST_KAFKA_PASSWORD": WRONG_PASSWORD})
        e.check(WRONG_PASSWORD not in seen, "the wrong password appears in the agent's output")
        for listener, cause in [("expired", "certificate has expired"),
                                ("untrusted", "not signed by a trusted CA"),
                                ("wronghost", "wrong hostname")]:
            failure_case(ctx, broker, listener, int(broker.bootstrap(listener).split(":")[1]),
                         kafka_sink(broker.bootstrap(listener), "tls-bad", tls={"ca_file": ca}),
                         cause)
        a, mport = run_until_ready_or_error(ctx, "no-verify-hostname", kafka_sink(
            broker.bootstrap("wronghost"), "tls-nohost",
            tls={"ca_file": ca, "verify_hostname": False}))
        e.wait_for(lambda: ready_status(mport) == 200, 60,
                   "verify_hostname: false: /ready 200", agent=a)
        a.stop()
        e.log("[no-verify-hostname] the wrong-host certificate is accepted")

        # 4. Configuration errors.
        config_errors(ctx, broker)
    finally:
        broker.stop()


if __name__ == "__main__":
    e.main("kafka_tls", body)
